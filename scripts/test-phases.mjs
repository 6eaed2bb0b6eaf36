// `npm test`: the parallel suite (vitest.config.ts), then the tests that must run alone
// (`*.serial.test.ts`, vitest.serial.config.ts), one at a time. Both phases always run; arguments (file
// filters, -t ...) go to both; the exit code is non-zero when either failed.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const vitest = (extra) =>
  spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...extra, ...args], { stdio: 'inherit' })
    .status ?? 1;

const parallel = vitest(['--passWithNoTests']);
const serial = vitest(['--config', 'vitest.serial.config.ts', '--passWithNoTests']);
process.exit(parallel !== 0 || serial !== 0 ? 1 : 0);
