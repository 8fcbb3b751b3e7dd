import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Mutation runs repeat the suite per mutant: only the in-process tests of the session code, no
// DynamoDB Local or server processes, and not the long multi-client property simulations (their pinned
// regressions stay); instrumented code runs slower, so tests get more time.
export default defineConfig({
  ...base,
  test: {
    testTimeout: 60_000,
    include: [
      'test/catchup.test.ts',
      'test/unload.test.ts',
      'test/presence/**/*.test.ts',
      'test/sessions/**/*.test.ts',
    ],
    exclude: ['test/sessions/**/*.property.test.ts'],
  },
});
