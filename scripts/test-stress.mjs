#!/usr/bin/env node
// The test suite under load, as CI's busy machine runs it: `npm run test:stress -- [--runs N] [--hogs K]
// [--stop-on-failure] [vitest args...]` builds once, starts K busy-looping processes (default 1: one of
// the two cores taken), then runs `vitest run` N times in a row (default 5) and prints one line per run
// and a summary. Exit 0 only if every run passed. Each run's vitest JSON report is kept in
// test-results/stress-RUN.json, so that a failure can be read afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: {
    runs: { type: 'string', default: '5' },
    hogs: { type: 'string', default: '1' },
    'stop-on-failure': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const hogs = Number(values.hogs);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs: expected a whole number >= 1, got ${String(values.runs)}`);
if (!Number.isInteger(hogs) || hogs < 0) fail(`--hogs: expected a whole number >= 0, got ${String(values.hogs)}`);

function fail(message) {
  console.error(`test:stress: ${message}`);
  process.exit(2);
}

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) fail('the build failed');

// the hogs: each keeps one core busy for as long as the runs last
const hogProcs = Array.from({ length: hogs }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const stopHogs = () => {
  for (const h of hogProcs) h.kill('SIGKILL');
};
process.on('exit', stopHogs);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopHogs();
    process.exit(130);
  });
}

mkdirSync(join(root, 'test-results'), { recursive: true });
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const results = [];
for (let i = 1; i <= runs; i++) {
  const report = join(root, 'test-results', `stress-${i}.json`);
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [vitest, 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, ...positionals],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('close', (c) => resolve(c ?? 1));
  });
  const seconds = (Date.now() - started) / 1000;
  let summary = 'no report';
  let failedNames = [];
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed`;
    failedNames = r.testResults.flatMap((f) =>
      f.assertionResults
        .filter((a) => a.status === 'failed')
        .map((a) => `${f.name.replace(`${root}/`, '')} > ${a.fullName}`),
    );
  } catch {
    // vitest did not write its report: the exit code says enough
  }
  results.push({ run: i, ok: code === 0, seconds, failedNames });
  console.log(
    `test:stress: run ${i}/${runs} ${code === 0 ? 'passed' : 'FAILED'} in ${seconds.toFixed(0)} s (${summary}; ${hogs} core(s) busy)`,
  );
  for (const n of failedNames) console.log(`test:stress:   failed: ${n}`);
  if (code !== 0 && values['stop-on-failure']) break;
}
stopHogs();
const passed = results.filter((r) => r.ok).length;
console.log(`test:stress: ${passed} of ${results.length} runs passed with ${hogs} core(s) busy`);
process.exit(passed === results.length ? 0 : 1);
