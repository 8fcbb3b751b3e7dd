import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Instrumented code under mutation runs slower, on a shared machine: property tests get more time, and
// try fewer cases (see `test/support/runs.ts`), since they run once per mutant.
export default defineConfig({
  ...base,
  test: { ...base.test, testTimeout: 60_000, env: { MUTATION_RUN: '1' } },
});
