import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Instrumented code under mutation runs slower, on a shared machine: property tests get more time.
export default defineConfig({ ...base, test: { ...base.test, testTimeout: 60_000 } });
