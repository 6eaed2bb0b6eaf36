import { defineConfig } from 'vitest/config';

// The long versions of the reliability tests (`npm run test:soak`): files named `*.soak.test.ts`, one at a
// time (each loads the machine on its own), with bounds in minutes.
export default defineConfig({
  test: {
    include: ['test/**/*.soak.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
