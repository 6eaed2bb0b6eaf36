import { defineConfig } from 'vitest/config';

// The second phase of `npm test`: end-to-end tests that measure the whole machine's behaviour under a load
// they generate themselves (zero loss through rollouts), named `*.serial.test.ts`. They run one at a time,
// after the parallel suite (vitest.config.ts), so that no other test's processes share the two cores with
// them: what they count is then the product's loss, not the machine's overload (docs/reliability.md).
export default defineConfig({
  test: {
    include: ['test/**/*.serial.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest-serial.json' }]] : ['default'],
  },
});
