/**
 * Small helpers run.sh calls (each prints one JSON line or plain words on stdout):
 *
 *   ports N                      N free TCP ports on 127.0.0.1 (all bound on port 0 at once, then released)
 *   split PORT N h1|h2c          N sequential GETs of /64, counts of `x-upstream` (a, b, bad); exit 1 on failure
 *   scrape ADMIN_PORT            the proxy's /metrics: sum of request_total and number of series
 *   h2lat LOGFILE SKIP_S SECS    p50/p90/p99/p99.9 from an `h2load --log-file`, first SKIP_S seconds dropped,
 *                                served rps over the SECS that remain
 *   profile-top FILE [N]         top N self-time functions of a `node --cpu-prof` profile
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer, get } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parseH2loadLog, percentileSorted } from './stats.js';

const HOST = '127.0.0.1';

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, HOST, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

interface SplitCounts {
  n: number;
  a: number;
  b: number;
  bad: number;
  error?: string;
}

function tally(counts: SplitCounts, status: number, upstream: unknown): void {
  if (status === 200 && upstream === 'a') counts.a++;
  else if (status === 200 && upstream === 'b') counts.b++;
  else counts.bad++;
}

async function splitH1(port: number, n: number): Promise<SplitCounts> {
  const counts: SplitCounts = { n, a: 0, b: 0, bad: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = get({ host: HOST, port, path: '/64', agent, timeout: 2_000 }, (res) => {
          tally(counts, res.statusCode ?? 0, res.headers['x-upstream']);
          res.resume();
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
      });
    }
  } finally {
    agent.destroy();
  }
  return counts;
}

async function splitH2(port: number, n: number): Promise<SplitCounts> {
  const counts: SplitCounts = { n, a: 0, b: 0, bad: 0 };
  const session: ClientHttp2Session = connect(`http://${HOST}:${port}`);
  session.on('error', () => undefined);
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no h2c answer within 2 s')), 2_000);
        const stream = session.request({ ':path': '/64' });
        stream.on('response', (h) => tally(counts, Number(h[':status']), h['x-upstream']));
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.on('close', () => {
          clearTimeout(timer);
          if (stream.rstCode !== undefined && stream.rstCode !== 0) reject(new Error(`stream reset ${stream.rstCode}`));
          else resolve();
        });
        stream.resume();
      });
    }
  } finally {
    session.destroy();
  }
  return counts;
}

function scrapeText(text: string): { request_total: number; series: number } {
  let total = 0;
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('request_total{')) continue;
    series++;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { request_total: total, series };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** a coarse bucket for a profile frame: where would a fix go */
function groupOf(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return '(program): native code outside JS (libuv, reads, epoll, V8 runtime)';
  if (
    url === '' &&
    /^(writev|writeLatin1String|writeUtf8String|writeBuffer|writeAsciiString|writeUcs2String)$/.test(fn)
  )
    return 'socket write syscalls (writev / write*String: the kernel loopback path)';
  if (url.startsWith('wasm://')) return "undici's llhttp (wasm)";
  if (url.includes('/node_modules/undici/')) return 'undici (JS)';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (/^node:(_http|http)/.test(url)) return 'node:http (server side: parser, ServerResponse)';
  if (url.startsWith('node:')) return 'other node internals (net, events, timers, buffer, ...)';
  if (url.includes('/proxy/')) return 'proxy/';
  if (url.includes('/engine/')) return 'engine/';
  if (url === '') return 'other native (bindings, builtins)';
  return 'other';
}

/** self time per function (name + file:line), as a share of all samples and of non-idle samples */
function profileTop(file: string, n: number): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of prof.nodes) byId.set(node.id, node);
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  let total = 0;
  let idle = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    total += dt;
    const f = node.callFrame;
    if (f.functionName === '(idle)') idle += dt;
    const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '');
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(bench\/\.build\/)/, '')}:${f.lineNumber + 1}`;
    const key = `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const group = groupOf(f.functionName, f.url);
    groups.set(group, (groups.get(group) ?? 0) + dt);
  });
  const busy = total - idle;
  const rows = [...self.entries()].sort((x, y) => y[1] - x[1]).slice(0, n);
  const out = [
    `profile: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * busy) / total).toFixed(0)} % busy`,
    '',
    '| self % of busy | self ms | function |',
    '|---:|---:|---|',
  ];
  for (const [key, us] of rows) {
    const share = key.startsWith('(idle)') ? '(idle)' : `${((100 * us) / busy).toFixed(1)} %`;
    out.push(`| ${share} | ${(us / 1000).toFixed(0)} | \`${key.replace(/\|/g, '\\|')}\` |`);
  }
  out.push('', 'Self time by where the code lives (busy samples):', '', '| share of busy | group |', '|---:|---|');
  for (const [group, us] of [...groups.entries()].sort((x, y) => y[1] - x[1])) {
    if (group === 'idle') continue;
    out.push(`| ${((100 * us) / busy).toFixed(1)} % | ${group} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case 'ports': {
      console.log((await freePorts(Number(args[0] ?? '1'))).join(' '));
      return;
    }
    case 'split': {
      const port = Number(args[0]);
      const n = Number(args[1] ?? '500');
      const proto = args[2] ?? 'h1';
      try {
        const counts = proto === 'h2c' ? await splitH2(port, n) : await splitH1(port, n);
        console.log(JSON.stringify(counts));
        if (counts.bad > 0) process.exitCode = 1;
      } catch (err) {
        console.log(JSON.stringify({ n, a: 0, b: 0, bad: n, error: (err as Error).message }));
        process.exitCode = 1;
      }
      return;
    }
    case 'scrape': {
      const res = await fetch(`http://${HOST}:${args[0]}/metrics`, { signal: AbortSignal.timeout(5_000) });
      console.log(JSON.stringify({ status: res.status, ...scrapeText(await res.text()) }));
      return;
    }
    case 'h2lat': {
      const { durationsUs, failed } = parseH2loadLog(readFileSync(args[0] as string, 'utf8'), Number(args[1] ?? '0'));
      const secs = Number(args[2] ?? 'NaN');
      const p = (q: number) => percentileSorted(durationsUs, q);
      console.log(
        JSON.stringify({
          secs,
          achieved_rps: Math.round((10 * durationsUs.length) / secs) / 10,
          ok: durationsUs.length,
          failed,
          p50_us: p(50),
          p90_us: p(90),
          p99_us: p(99),
          p999_us: p(99.9),
          max_us: p(100),
        }),
      );
      return;
    }
    case 'profile-top': {
      console.log(profileTop(args[0] as string, Number(args[1] ?? '25')));
      return;
    }
    default:
      console.error(
        'usage: tools.js ports N | split PORT N h1|h2c | scrape ADMIN_PORT | h2lat LOG SKIP_S SECS | profile-top FILE [N]',
      );
      process.exit(2);
  }
}

await main();
