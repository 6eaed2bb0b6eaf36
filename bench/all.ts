/**
 * `npm run bench`: every figure of docs/reliability.md in one run, then one summary table.
 *
 *   1. proxy overhead: bench/run.sh (direct, HAProxy, Weir; HTTP/1.1 at 1,000 req/s), p50/p99
 *   2. route propagation to 200 proxies: bench/control-plane-fanout.ts, p50/p99 over its rounds
 *   3. controller reaction time from the start of an SLO breach to canary weight 0, and
 *   4. memory per sidecar: bench/all/reaction-and-memory.ts on `weir up`
 *   5. the soak's counts: the zero-loss scenario of test/reliability/zero-loss (promotion, rollback,
 *      blue/green under load over HTTP/1.1, h2c and gRPC): requests sent, failed, p50/p99
 *
 * usage: npm run bench [-- --quick] [-- --only overhead,fanout,reaction,soak]
 * --quick: bench/run.sh SMOKE=1, 3 fan-out rounds, the soak at 200 req/s (about 10 min on 2 cores).
 * Needs `npm run build` (the script does it) and, for part 1, root to install missing Debian packages
 * (wrk, h2load, HAProxy) on the first run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SHORT_SCENARIO,
  SOAK_SCENARIO,
  runZeroLossScenario,
} from '../test/reliability/zero-loss/rollouts-under-load.js';
import { measureReaction } from './all/reaction-and-memory.js';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const quick = values.quick === true;
const parts = new Set((values.only ?? 'overhead,fanout,reaction,soak').split(','));
const rows: Array<[string, string, string]> = [];
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${out.slice(-2000)}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function overhead(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'weir-bench-all-'));
  await run('bash', [join(ROOT, 'bench', 'run.sh')], {
    ...(quick ? { SMOKE: '1' } : { REPS: '1' }),
    ONLY: 'direct haproxy weir',
    PROTOS: 'h1',
    RATES: '1000',
    PROFILE: '0',
    BENCH_WORKDIR: work,
  });
  const lines = (await readFile(join(work, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const rates = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.test === 'rate' && r.proto === 'h1' && Number(r.rate) === 1000);
  const at = (t: string, k: string) =>
    median(rates.filter((r) => r.target === t).map((r) => Number((r.r as Record<string, unknown>)[k]) / 1000));
  const [d50, h50, w50] = ['direct', 'haproxy', 'weir'].map((t) => at(t, 'p50_us'));
  const [d99, h99, w99] = ['direct', 'haproxy', 'weir'].map((t) => at(t, 'p99_us'));
  rows.push(
    [
      'proxy p50 at 1,000 req/s (HTTP/1.1): direct / HAProxy / Weir',
      `${d50!.toFixed(2)} / ${h50!.toFixed(2)} / ${w50!.toFixed(2)} ms`,
      `bench/run.sh (${work})`,
    ],
    [
      'proxy p99 at 1,000 req/s: direct / HAProxy / Weir',
      `${d99!.toFixed(2)} / ${h99!.toFixed(2)} / ${w99!.toFixed(2)} ms`,
      'bench/run.sh',
    ],
    [
      'Weir p50 added over direct / over HAProxy',
      `${(w50! - d50!).toFixed(2)} / ${(w50! - h50!).toFixed(2)} ms`,
      'bench/run.sh',
    ],
  );
}

async function fanout(): Promise<void> {
  const out = await run(process.execPath, [
    join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    join(ROOT, 'bench', 'control-plane-fanout.ts'),
    ...['--clients', '200', '--rounds', quick ? '3' : '5'],
  ]);
  const all = /^\| all \| (\d+) \| \| \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$/m.exec(out);
  if (!all) throw new Error(`no summary line in the fan-out output:\n${out}`);
  rows.push([
    'route propagation to 200 proxies: p50 / p99 / max',
    `${all[2]} / ${all[3]} / ${all[4]} ms`,
    'bench/control-plane-fanout.ts',
  ]);
}

async function reaction(): Promise<void> {
  const r = await measureReaction();
  rows.push(
    [
      'controller reaction: SLO breach to canary weight 0',
      `${(r.reactionMs / 1000).toFixed(1)} s`,
      `weir up, analysis ${r.analysis}`,
    ],
    [
      'memory per sidecar (RSS of weir proxy under weir up)',
      `${median(r.sidecarRssMb).toFixed(1)} MB median, ${Math.max(...r.sidecarRssMb).toFixed(1)} max (${r.sidecarRssMb.length} sidecars)`,
      'bench/all/reaction-and-memory.ts',
    ],
  );
}

async function soak(): Promise<void> {
  const scenario = quick ? SHORT_SCENARIO : SOAK_SCENARIO;
  const rate = scenario.rate;
  const r = await runZeroLossScenario(scenario);
  const l = r.load;
  rows.push(
    [
      `soak (${rate} req/s; promotion, rollback, blue/green; ${l.seconds.toFixed(0)} s)`,
      `${l.sent} sent, ${l.failed} failed, ${l.heldBack} held back by the client`,
      `runs: ${r.outcomes.join(', ')}; ${r.renewals} certificate renewals`,
    ],
    [
      'soak failures and latency by client kind',
      Object.entries(l.byKind)
        .map(([k, t]) => `${k} ${t.failed}/${t.sent} (p50 ${t.p50Ms} ms, p99 ${t.p99Ms} ms)`)
        .join(', '),
      JSON.stringify(Object.assign({}, ...Object.values(l.byKind).map((t) => t.failures))),
    ],
  );
}

async function main(): Promise<void> {
  log(`machine: ${cpus().length} cores, load average ${load()}${quick ? ' (--quick)' : ''}`);
  const steps: Array<[string, () => Promise<void>]> = [
    ['overhead', overhead],
    ['fanout', fanout],
    ['reaction', reaction],
    ['soak', soak],
  ];
  for (const [name, step] of steps) {
    if (!parts.has(name)) continue;
    log(`${name} ...`);
    try {
      await step();
    } catch (err) {
      rows.push([name, 'FAILED', String(err).split('\n')[0]!.slice(0, 300)]);
    }
    log(`${name} done, load average ${load()}`);
  }
  console.log(
    `\nWeir figures, ${new Date().toISOString()}, ${cpus().length} cores, load average at the end ${load()}\n`,
  );
  console.log('| figure | value | method |\n| --- | --- | --- |');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
  if (rows.some((r) => r[1] === 'FAILED')) process.exitCode = 1;
}

await main();
