/**
 * Read the JSON lines bench/run.sh wrote and print a Markdown report: per target and protocol, max
 * throughput, CPU per request, latency at fixed rates, peak RSS, each with its ratio to direct and to
 * HAProxy (ratios taken per repetition, then the median), the split checks, and the five targets.
 *
 * usage: node summarize.js results.jsonl
 */
import { readFileSync } from 'node:fs';
import { fmt, fmtInt, fmtRatio, median, medianDiff, medianRatio, range } from './stats.js';

interface Row {
  test: string;
  rep?: number;
  target?: string;
  proto?: 'h1' | 'h2c';
  size?: string;
  rate?: number;
  secs?: number;
  cpu_s?: number;
  kb?: number;
  r?: Record<string, unknown>;
  [k: string]: unknown;
}

type PerRep = Map<number, number>;

const TARGETS = ['direct', 'haproxy', 'nginx', 'weir'] as const;

const rows: Row[] = readFileSync(process.argv[2] ?? 'results.jsonl', 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .flatMap((l) => {
    try {
      return [JSON.parse(l) as Row];
    } catch {
      return [];
    }
  });
const env = rows.find((r) => r.test === 'env') ?? ({ test: 'env' } as Row);
const end = rows.find((r) => r.test === 'end');

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const failed = (r: Row): boolean => r.r === undefined || r.r['failed'] === true;

function select(target: string, proto: string, test: string, pred: (r: Row) => boolean = () => true): Row[] {
  return rows.filter((r) => r.target === target && r.proto === proto && r.test === test && pred(r));
}

function perRep(list: Row[], value: (r: Row) => number): PerRep {
  const m: PerRep = new Map();
  for (const r of list) {
    const v = value(r);
    if (r.rep !== undefined && Number.isFinite(v)) m.set(r.rep, v);
  }
  return m;
}

/** requests served by a max run */
const served = (r: Row): number => (r.proto === 'h2c' ? num(r.r?.['succeeded']) : num(r.r?.['requests']));

function maxRps(target: string, proto: string, size: string): PerRep {
  return perRep(
    select(target, proto, 'max', (r) => r.size === size && !failed(r)),
    (r) => num(r.r?.['rps']),
  );
}

function cpuPerReq(target: string, proto: string, size: string): PerRep {
  return perRep(
    select(target, proto, 'max', (r) => r.size === size && !failed(r)),
    (r) => (num(r.cpu_s) * 1e6) / served(r),
  );
}

function rateStat(target: string, proto: string, rate: number, key: string): PerRep {
  const list = select(target, proto, 'rate', (r) => r.rate === rate && !failed(r));
  if (key === 'cpu_us') return perRep(list, (r) => (num(r.cpu_s) * 1e6) / (rate * num(r.secs)));
  if (key === 'achieved') return perRep(list, (r) => num(r.r?.['achieved_rps']));
  // latencies in ms
  return perRep(list, (r) => num(r.r?.[key]) / 1000);
}

function rssMb(target: string, proto: string): PerRep {
  return perRep(select(target, proto, 'rss'), (r) => num(r.kb) / 1024);
}

const vals = (m: PerRep): number[] => [...m.values()];
const med = (m: PerRep): number => median(vals(m));
function spread(m: PerRep, f: (x: number) => string): string {
  const rg = range(vals(m));
  if (rg === undefined || m.size < 2) return '';
  return ` (${f(rg[0])}–${f(rg[1])})`;
}
const unsupported = (target: string, proto: string): Row | undefined =>
  rows.find((r) => r.target === target && r.proto === proto && r.test === 'unsupported');
const present = (target: string, proto: string): boolean =>
  rows.some((r) => r.target === target && r.proto === proto && r.test !== 'env');

function version(s: unknown, re: RegExp): string {
  const m = typeof s === 'string' ? re.exec(s) : null;
  return m?.[1] ?? '';
}
const haproxyV = version(env['haproxy'], /version (\S+?)(-|\s)/);
const nginxV = version(env['nginx'], /nginx\/(\S+)/);
const label: Record<string, string> = {
  direct: 'direct (Node upstream)',
  haproxy: `HAProxy ${haproxyV} (1 thread)`,
  nginx: `nginx ${nginxV} (1 worker)`,
  weir: '**Weir proxy** (90/10, metrics on)',
};

const out: string[] = [];
const p = (s = '') => out.push(s);
const knobs = (env['knobs'] ?? {}) as Record<string, unknown>;
const reps = num(knobs['reps']);

p(`# Weir proxy benchmark — ${String(env['mode'] ?? '?')} run, ${String(env['date'] ?? '')}`);
p();
p(
  `${String(env['nproc'] ?? '?')} × ${String(env['cpu'] ?? '?')}, kernel ${String(env['kernel'] ?? '?')}, ` +
    `Node ${String(env['node'] ?? '?')}, undici ${String(env['undici'] ?? '?')}; ${String(env['debs'] ?? '')}`,
);
p(
  `Repetitions: ${fmt(reps, 0)} (medians; ranges are min–max over repetitions; ratios are taken per repetition, then the median). ` +
    `Max runs ${String(knobs['dur'])} s, fixed-rate runs ${String(knobs['warm'])} s warm-up + ${String(knobs['rate_dur'])} s. ` +
    `Load average at start ${String(env['loadavg_start'] ?? '?')}, at end ${String(end?.['loadavg_end'] ?? '?')}. ` +
    `Weir proxy node flags: ${env['weir_flags'] ? `\`${String(env['weir_flags'])}\`` : 'none'}.`,
);
p();

// ---------------- HTTP/1.1 ----------------
const sizes = String(knobs['sizes'] ?? '64')
  .split(/\s+/)
  .filter(Boolean);
const rates = String(knobs['rates'] ?? '1000')
  .split(/\s+/)
  .filter(Boolean)
  .map(Number);

function throughputTable(proto: 'h1' | 'h2c', size: string): void {
  p(
    '| target | max rps | × direct | × HAProxy | CPU µs/req | × direct | × HAProxy | peak RSS MB | × direct | × HAProxy |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const dRps = maxRps('direct', proto, size);
  const hRps = maxRps('haproxy', proto, size);
  const dCpu = cpuPerReq('direct', proto, size);
  const hCpu = cpuPerReq('haproxy', proto, size);
  const dRss = rssMb('direct', proto);
  const hRss = rssMb('haproxy', proto);
  for (const t of TARGETS) {
    if (!present(t, proto)) continue;
    const un = unsupported(t, proto);
    if (un !== undefined) {
      p(`| ${label[t]} | not supported yet | | | | | | | | |`);
      continue;
    }
    const rps = maxRps(t, proto, size);
    const cpu = cpuPerReq(t, proto, size);
    const rss = rssMb(t, proto);
    p(
      `| ${label[t]} | ${fmtInt(med(rps))}${spread(rps, fmtInt)} | ${fmtRatio(medianRatio(rps, dRps))} | ${fmtRatio(medianRatio(rps, hRps))} ` +
        `| ${fmt(med(cpu), 0)}${spread(cpu, (x) => fmt(x, 0))} | ${fmtRatio(medianRatio(cpu, dCpu))} | ${fmtRatio(medianRatio(cpu, hCpu))} ` +
        `| ${fmt(med(rss), 0)} | ${fmtRatio(medianRatio(rss, dRss))} | ${fmtRatio(medianRatio(rss, hRss))} |`,
    );
  }
  p();
}

function latencyTable(proto: 'h1' | 'h2c', rateList: number[]): void {
  p(
    '| target | rate | served rps | p50 ms | p99 ms | p99.9 ms | added p50 vs direct ms | p50 × direct | p50 × HAProxy | CPU µs/req at this rate | errors / timeouts |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const rate of rateList) {
    const dP50 = rateStat('direct', proto, rate, 'p50_us');
    const hP50 = rateStat('haproxy', proto, rate, 'p50_us');
    for (const t of TARGETS) {
      if (!present(t, proto)) continue;
      if (unsupported(t, proto) !== undefined) {
        p(`| ${label[t]} | ${fmtInt(rate)} | not supported yet | | | | | | | | |`);
        continue;
      }
      const list = select(t, proto, 'rate', (r) => r.rate === rate);
      if (list.length === 0) continue;
      const p50 = rateStat(t, proto, rate, 'p50_us');
      const p99 = rateStat(t, proto, rate, 'p99_us');
      const p999 = rateStat(t, proto, rate, 'p999_us');
      const ach = rateStat(t, proto, rate, 'achieved');
      const cpu = rateStat(t, proto, rate, 'cpu_us');
      let bad = 0;
      let timeouts = 0;
      for (const r of list) {
        if (failed(r)) bad++;
        bad += num(r.r?.['errors']) || 0;
        bad += num(r.r?.['non2xx']) || 0;
        bad += num(r.r?.['failed']) || 0;
        timeouts += num(r.r?.['timeouts']) || 0;
      }
      const added = t === 'direct' ? '—' : fmt(medianDiff(p50, dP50), 2);
      p(
        `| ${label[t]} | ${fmtInt(rate)} | ${fmtInt(med(ach))} | ${fmt(med(p50))}${spread(p50, (x) => fmt(x))} | ${fmt(med(p99))} | ${fmt(med(p999))} ` +
          `| ${added} | ${fmtRatio(medianRatio(p50, dP50))} | ${fmtRatio(medianRatio(p50, hP50))} | ${fmt(med(cpu), 0)} | ${bad} / ${timeouts} |`,
      );
    }
  }
  p();
}

if (TARGETS.some((t) => present(t, 'h1'))) {
  p('## HTTP/1.1, 64 B body: max throughput (wrk, closed loop), CPU per request, peak RSS');
  p();
  throughputTable('h1', '64');
  p(
    'CPU µs/req: utime+stime of the target process tree (/proc) during the max run over the requests served; for direct, the upstream itself. ' +
      'Peak RSS: VmHWM of the target process tree at the end of its block (direct: the long-lived upstream A).',
  );
  const idle = TARGETS.filter((t) => t !== 'direct' && present(t, 'h1')).map(
    (t) => `${t} ${fmt(med(perRep(select(t, 'h1', 'rss_start'), (r) => num(r.kb) / 1024)), 0)} MB`,
  );
  if (idle.length > 0) p(`RSS right after start, before any load: ${idle.join(', ')}.`);
  p();
  p('## HTTP/1.1, 64 B body: latency at fixed rates (open loop, from the intended send time)');
  p();
  latencyTable('h1', rates);
  for (const size of sizes.filter((s) => s !== '64')) {
    p(`## HTTP/1.1, ${size === '4k' ? '4 KiB' : size} body: max throughput`);
    p();
    throughputTable('h1', size);
  }
}

if (TARGETS.some((t) => present(t, 'h2c'))) {
  const h2conns = String(knobs['h2_conns'] ?? '10');
  const h2streams = String(knobs['h2_streams'] ?? '10');
  p(`## h2c (HTTP/2 prior knowledge, h2load -c${h2conns} -m${h2streams}), 64 B body`);
  p();
  p(
    'Targets proxy h2c to h2c upstreams (HAProxy `proto h2`, nginx `grpc_pass`). Ratios are to h2c direct and HAProxy h2c.',
  );
  p();
  throughputTable('h2c', '64');
  const h2rates = String(knobs['h2_rates'] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  if (h2rates.length > 0) {
    p(
      `h2c latency at fixed rates (\`h2load --rps\`, per-request time from its own start: **not** corrected for coordinated omission):`,
    );
    p();
    latencyTable('h2c', h2rates);
  }
}

// ---------------- split and metrics checks ----------------
p('## Checks');
p();
p('| target | proto | split a / b / bad per repetition (expect 450 / 50 / 0 of 500) |');
p('|---|---|---|');
for (const proto of ['h1', 'h2c'] as const) {
  for (const t of TARGETS) {
    const list = select(t, proto, 'split');
    if (list.length === 0) continue;
    const cells = list.map((r) =>
      r.r?.['error'] !== undefined
        ? `error: ${String(r.r['error'])}`
        : `${String(r.r?.['a'])} / ${String(r.r?.['b'])} / ${String(r.r?.['bad'])}`,
    );
    p(`| ${label[t]} | ${proto} | ${cells.join('; ')} |`);
  }
}
p();
const scrapes = rows.filter((r) => r.test === 'metrics' && !failed(r));
if (scrapes.length > 0) {
  p(
    `Weir golden metrics were on: after each Weir block, \`/metrics\` counted ${scrapes
      .map((r) => `${fmtInt(num(r.r?.['request_total']))} (${String(r.proto)}, ${String(r.r?.['series'])} series)`)
      .join(', ')} in \`request_total\`.`,
  );
  p();
}

// ---------------- targets ----------------
interface Check {
  name: string;
  want: string;
  value: number;
  shown: string;
  ok: boolean | undefined;
}
const checks: Check[] = [];
// the proxy issue's targets (#8): ratios to HAProxy in the same run, the sidecar's memory, h2c
{
  const r = medianRatio(maxRps('weir', 'h1', '64'), maxRps('haproxy', 'h1', '64'));
  checks.push({
    name: 'HTTP/1.1 max throughput',
    want: '≥ 0.6× HAProxy',
    value: r,
    shown: `${fmtRatio(r)} HAProxy (${fmtInt(med(maxRps('weir', 'h1', '64')))} vs ${fmtInt(med(maxRps('haproxy', 'h1', '64')))} rps)`,
    ok: Number.isFinite(r) ? r >= 0.6 : undefined,
  });
  const c = medianRatio(cpuPerReq('weir', 'h1', '64'), cpuPerReq('haproxy', 'h1', '64'));
  checks.push({
    name: 'proxy CPU per request (at max rps)',
    want: '≤ 2× HAProxy',
    value: c,
    shown: `${fmtRatio(c)} HAProxy (${fmt(med(cpuPerReq('weir', 'h1', '64')), 0)} vs ${fmt(med(cpuPerReq('haproxy', 'h1', '64')), 0)} µs)`,
    ok: Number.isFinite(c) ? c <= 2 : undefined,
  });
  const d = medianDiff(rateStat('weir', 'h1', 1000, 'p50_us'), rateStat('direct', 'h1', 1000, 'p50_us'));
  checks.push({
    name: 'added p50 latency at 1,000 req/s',
    want: '≤ 0.3 ms over direct',
    value: d,
    shown: `+${fmt(d)} ms (p50 ${fmt(med(rateStat('weir', 'h1', 1000, 'p50_us')))} vs direct ${fmt(med(rateStat('direct', 'h1', 1000, 'p50_us')))} ms; HAProxy +${fmt(
      medianDiff(rateStat('haproxy', 'h1', 1000, 'p50_us'), rateStat('direct', 'h1', 1000, 'p50_us')),
    )} ms)`,
    ok: Number.isFinite(d) ? d <= 0.3 : undefined,
  });
  const rss = vals(rssMb('weir', 'h1'));
  const peak = rss.length > 0 ? Math.max(...rss) : NaN;
  checks.push({
    name: 'peak RSS under load (highest repetition)',
    want: '≤ 64 MB',
    value: peak,
    shown: `${fmt(peak, 0)} MB (HAProxy ${fmt(med(rssMb('haproxy', 'h1')), 0)} MB)`,
    ok: Number.isFinite(peak) ? peak <= 64 : undefined,
  });
  const un = unsupported('weir', 'h2c');
  const h2 = medianRatio(maxRps('weir', 'h2c', '64'), maxRps('haproxy', 'h2c', '64'));
  checks.push({
    name: 'h2c/gRPC throughput',
    want: "≥ 0.4× HAProxy's h2",
    value: h2,
    shown:
      un !== undefined
        ? 'not supported yet (the proxy does not answer h2c prior knowledge)'
        : `${fmtRatio(h2)} HAProxy h2c (${fmtInt(med(maxRps('weir', 'h2c', '64')))} vs ${fmtInt(med(maxRps('haproxy', 'h2c', '64')))} rps)`,
    ok: un !== undefined ? false : Number.isFinite(h2) ? h2 >= 0.4 : undefined,
  });
  const d2 = medianDiff(rateStat('weir', 'h2c', 1000, 'p50_us'), rateStat('direct', 'h2c', 1000, 'p50_us'));
  checks.push({
    name: 'h2c added p50 at 1,000 req/s',
    want: '≤ 0.5 ms over direct',
    value: d2,
    shown: `+${fmt(d2)} ms (p50 ${fmt(med(rateStat('weir', 'h2c', 1000, 'p50_us')))} vs direct ${fmt(med(rateStat('direct', 'h2c', 1000, 'p50_us')))} ms; h2load, not CO-corrected)`,
    ok: un !== undefined ? false : Number.isFinite(d2) ? d2 <= 0.5 : undefined,
  });
}
p("## Targets (the proxy issue's: 64 B, 90/10 split, metrics on, same run as HAProxy)");
p();
p('| target | wanted | measured | |');
p('|---|---|---|---|');
for (const c of checks) {
  const verdict = c.ok === undefined ? 'not measured' : c.ok ? '**met**' : '**not met**';
  p(`| ${c.name} | ${c.want} | ${c.shown} | ${verdict} |`);
}
p();

// ---------------- anything that went wrong ----------------
const problems: string[] = [];
for (const r of rows) {
  if (r.test !== 'max' && r.test !== 'rate') continue;
  const where = `rep ${String(r.rep)} ${String(r.target)} ${String(r.proto)} ${r.test}${r.rate !== undefined ? ` ${r.rate}` : ` /${String(r.size)}`}`;
  if (failed(r)) problems.push(`${where}: the run failed or timed out`);
  else {
    const e =
      (num(r.r?.['errors']) || 0) +
      (num(r.r?.['non2xx']) || 0) +
      (num(r.r?.['failed']) || 0) +
      (num(r.r?.['errored']) || 0);
    const to = num(r.r?.['timeouts']) || 0;
    if (e > 0 || to > 0) problems.push(`${where}: ${e} errors/non-2xx, ${to} timeouts`);
    if (r.test === 'rate') {
      const ach = num(r.r?.['achieved_rps']);
      if (Number.isFinite(ach) && r.rate !== undefined && ach < 0.97 * r.rate)
        problems.push(`${where}: only ${fmtInt(ach)} rps served (target saturated)`);
    }
  }
}
if (problems.length > 0) {
  p('## Problems seen');
  p();
  for (const s of problems) p(`- ${s}`);
  p();
}

process.stdout.write(`${out.join('\n')}\n`);
