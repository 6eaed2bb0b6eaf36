import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the long runs: npm run test:soak (vitest.soak.config.ts); the ones that must run alone: the second
    // phase of npm test (vitest.serial.config.ts)
    exclude: [...configDefaults.exclude, 'test/**/*.soak.test.ts', 'test/**/*.serial.test.ts'],
    testTimeout: 30_000,
    // above what an afterAll waits for: stopping a `weir up` is bounded by its own 30 s, then SIGKILL at 45 s
    // (test/support/weir-process.ts)
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
