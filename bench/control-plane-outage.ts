/**
 * The control plane killed under load: do the proxies keep serving, and how fast do they resync?
 *
 * Runs two upstreams (`a`, `b`: bench/upstream.ts), a control plane (a child process of this script:
 * a MemoryStore, discovery over it and the gRPC API, as `weir up` runs them) on 127.0.0.1:PORT, and
 * `--proxies` real `weir proxy --control-plane 127.0.0.1:PORT` processes (bin/weir.js: `npm run build`
 * first), each with its outbound listener for Service `bench/bench` on a free port. An HTTPRoute sends
 * all of `bench` to `a`. An open-loop client sends `--rate` requests per second, round robin over the
 * proxies (request i is due at i/rate; its latency runs from that instant, so a stall is charged), for
 * `--before` seconds, then the control plane is killed (SIGKILL), stays down `--outage` seconds, and
 * is started again on the same address with the route changed to send everything to `b` (the change
 * made while it was down); the load goes on `--after` seconds more. Reports failed requests (goal 0)
 * by phase and reason, latency by phase, and per proxy the time from the restart to its `applied` line
 * and to the first answer from `b` (the resync).
 *
 * usage: npx tsx bench/control-plane-outage.ts [--proxies 3] [--rate 1000] [--warmup 5] [--before 10] [--outage 60]
 *        [--after 20] [--timeout 5] [--json FILE]
 * A smoke run: --rate 200 --warmup 2 --before 2 --outage 5 --after 15
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { outageReport, type RequestRecord } from './outage-stats.js';

const HOST = '127.0.0.1';
const NS = 'bench';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const now = () => performance.timeOrigin + performance.now();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** the mesh of the control plane; `to` is the upstream Service all of `bench` goes to */
function meshObjects(port: number, upA: number, upB: number, to: 'a' | 'b'): unknown[] {
  const svc = (name: string, clusterIP?: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { ...(clusterIP ? { clusterIP } : {}), ports: [{ name: 'http', port }] },
  });
  const slice = (name: string, upPort: number) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: upPort }],
    endpoints: [{ addresses: [HOST] }],
  });
  return [
    svc('bench'),
    svc('a', '127.0.2.1'),
    svc('b', '127.0.2.2'),
    slice('a', upA),
    slice('b', upB),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'bench-route', namespace: NS },
      spec: {
        parentRefs: [{ group: 'core', kind: 'Service', name: 'bench', port }],
        rules: [
          {
            backendRefs: [
              { name: 'a', port, weight: to === 'a' ? 100 : 0 },
              { name: 'b', port, weight: to === 'b' ? 100 : 0 },
            ],
          },
        ],
      },
    },
  ];
}

/** the child: a control plane on PORT (0: a free one) serving the mesh; prints `listening PORT` */
async function controlPlaneChild(args: string[]): Promise<void> {
  const [port, svcPort, upA, upB, to] = args.map((x, i) => (i === 4 ? x : Number(x))) as [
    number,
    number,
    number,
    number,
    'a' | 'b',
  ];
  const { MemoryStore } = await import('../controlplane/store/memory-store.js');
  const { createDiscovery } = await import('../controlplane/discovery/index.js');
  const { startControlPlane } = await import('../controlplane/grpc/server.js');
  const store = new MemoryStore();
  for (const o of meshObjects(svcPort, upA, upB, to)) await store.apply(o as never);
  const discovery = createDiscovery(store);
  // `--wait`: everything loaded, listen only when told (a line on stdin), so that a restart is on time
  if (args.includes('--wait')) {
    console.log('loaded');
    await new Promise((resolve) => process.stdin.once('data', resolve));
  }
  const cp = await startControlPlane({ configSource: discovery, port });
  console.log(`listening ${cp.port}`);
}

/** a child process and the lines it prints, each with the instant it was read */
class Proc {
  readonly lines: Array<{ at: number; line: string }> = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push({ at: now(), line });
        for (const w of [...this.waiters]) w();
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** the first line from `from` on matching `re` (bounded) */
  waitFor(re: RegExp, ms: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          const m = re.exec(this.lines[i]!.line);
          if (m !== null) {
            clearTimeout(timer);
            this.waiters.delete(check);
            resolve(m);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.name}: no line matching ${re} within ${ms} ms; last lines:\n${this.tail()}`));
      }, ms);
      this.waiters.add(check);
      check();
      void this.exited.then((code) => {
        if (!this.waiters.has(check)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${String(code)}) before printing ${re}; last lines:\n${this.tail()}`));
      });
    });
  }

  tail(n = 10): string {
    return this.lines
      .slice(-n)
      .map((l) => `  ${l.line}`)
      .join('\n');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function startProc(name: string, cmd: string, args: string[]): Proc {
  return new Proc(name, spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }));
}

const tsx = (script: string, args: string[]) => ['--import', 'tsx', join(ROOT, 'bench', script), ...args.map(String)];

/** the open-loop client: `rate` requests per second over `targets`, round robin, until `stop()` */
function openLoop(targets: Array<{ host: string; port: number }>, rate: number, timeoutMs: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const records: RequestRecord[] = [];
  let inFlight = 0;
  let sent = 0;
  const start = now();
  let stopped = false;
  const fire = (due: number, proxy: number) => {
    const t = targets[proxy]!;
    inFlight++;
    let done = false;
    // the deadline runs from the moment the request is sent, waiting for a connection included
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, error: 'timeout' });
    }, timeoutMs);
    const finish = (r: Omit<RequestRecord, 'due' | 'done' | 'proxy'>) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      inFlight--;
      records.push({ due, done: now(), proxy, ...r });
    };
    const req = request({ host: t.host, port: t.port, path: '/64', agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const upstream = res.headers['x-upstream'];
        if (res.statusCode === 200 && Buffer.concat(chunks).length > 0)
          finish({ ok: true, ...(typeof upstream === 'string' ? { upstream } : {}) });
        else finish({ ok: false, error: `status ${res.statusCode}` });
      });
      res.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
    req.end();
  };
  // every millisecond (or as soon as the loop lets it), send everything that is due
  const tick = setInterval(() => {
    if (stopped) return;
    const t = now();
    while (start + (sent * 1000) / rate <= t) {
      fire(start + (sent * 1000) / rate, sent % targets.length);
      sent++;
    }
  }, 1);
  return {
    records,
    get sent() {
      return sent;
    },
    get inFlight() {
      return inFlight;
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(tick);
      const until = now() + timeoutMs + 2_000;
      while (inFlight > 0 && now() < until) await new Promise((r) => setTimeout(r, 50));
      agent.destroy();
    },
  };
}

/** `n` sequential GETs through a proxy, each answered 200 (bounded) */
async function warmUp(t: { host: string; port: number }, n: number, ms: number): Promise<void> {
  const until = now() + ms;
  for (let ok = 0; ok < n;) {
    if (now() > until) throw new Error(`proxy ${t.host}:${t.port}: not ${n} answers within ${ms} ms`);
    try {
      const res = await fetch(`http://${t.host}:${t.port}/64`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.status === 200) ok++;
    } catch {
      await sleep(100);
    }
  }
}

/** a port the system says is free now (bound on port 0, then released) */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmtMs = (x: number | undefined) => (x === undefined ? 'never' : `${x.toFixed(0)} ms`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      proxies: { type: 'string', default: '3' },
      rate: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '5' },
      before: { type: 'string', default: '10' },
      outage: { type: 'string', default: '60' },
      after: { type: 'string', default: '20' },
      timeout: { type: 'string', default: '5' },
      json: { type: 'string' },
    },
  });
  const n = Number(values.proxies);
  const rate = Number(values.rate);
  const [warmup, before, outage, after, timeout] = [
    values.warmup,
    values.before,
    values.outage,
    values.after,
    values.timeout,
  ].map((x) => Number(x) * 1000) as [number, number, number, number, number];
  for (const [flag, v] of Object.entries({ proxies: n, rate, warmup, before, outage, after, timeout }))
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${flag}: expected a positive number, got ${String(v)}`);

  const procs: Proc[] = [];
  const cleanup = () => Promise.all(procs.map((p) => p.stop()));
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const [portA, portB] = [await freePort(), await freePort()];
    const upA = startProc('upstream a', process.execPath, tsx('upstream.ts', ['h1', String(portA), 'a']));
    const upB = startProc('upstream b', process.execPath, tsx('upstream.ts', ['h1', String(portB), 'b']));
    procs.push(upA, upB);
    await Promise.all([upA, upB].map((p) => p.waitFor(/^upstream/, 60_000)));
    const svcPort = 8080;
    const startCp = (port: number, to: 'a' | 'b', wait = false) => {
      const cp = startProc(
        'control plane',
        process.execPath,
        tsx('control-plane-outage.ts', [
          ...['--control-plane', port, svcPort, portA, portB, to].map(String),
          ...(wait ? ['--wait'] : []),
        ]),
      );
      procs.push(cp);
      return cp;
    };
    let cp = startCp(0, 'a');
    const cpPort = Number((await cp.waitFor(/^listening (\d+)/, 60_000))[1]);
    const address = `${HOST}:${cpPort}`;

    const proxies = Array.from({ length: n }, (_, i) =>
      startProc(`proxy ${i}`, process.execPath, [
        join(ROOT, 'bin', 'weir.js'),
        'proxy',
        '--control-plane',
        address,
        '--admin-port',
        '0',
        '--outbound-proxy-port',
        '0',
        '--namespace',
        NS,
        '--pod',
        `proxy-${i}`,
        '--deployment',
        'client',
      ]),
    );
    procs.push(...proxies);
    const targets = await Promise.all(
      proxies.map(async (p) => {
        const m = await p.waitFor(new RegExp(`outbound ${NS}/bench:${svcPort} on ([\\d.]+):(\\d+)`), 60_000);
        await p.waitFor(/ready \(control plane/, 60_000);
        return { host: m[1]!, port: Number(m[2]) };
      }),
    );
    console.log(
      `control plane on ${address}, ${n} weir proxy processes (${targets.map((t) => t.port).join(', ')}), ` +
        `upstreams a ${portA} b ${portB}; load average ${load()}`,
    );
    console.log(
      `open loop at ${rate} req/s: ${warmup / 1000} s warm-up (not counted), ${before / 1000} s, control plane killed for ${outage / 1000} s, then ${after / 1000} s`,
    );

    // the control plane that replaces the killed one loads now (tsx compiles for tens of seconds on a busy
    // machine: not during the outage) and listens only when told to
    const next = startCp(cpPort, 'b', true);
    await next.waitFor(/^loaded/, 180_000);
    // each proxy answers 20 requests in a row first (its upstream pool, the parser's compile: seconds on
    // a busy machine), so that the open loop does not start on a backlog
    for (const t of targets) await warmUp(t, 20, 120_000);
    const client = openLoop(targets, rate, timeout);
    // not measured: the proxies' first requests (connection pools, the parser's compile)
    await sleep(warmup);
    const measureFrom = now();
    await sleep(before);
    const killedAt = now();
    const loadAtKill = load();
    await cp.stop('SIGKILL');
    console.log(`control plane killed (SIGKILL) at +${((killedAt - measureFrom) / 1000).toFixed(1)} s`);
    cp = next;
    const left = killedAt + outage - now();
    if (left < 0)
      console.log(`(the new control plane took ${(-left / 1000).toFixed(1)} s longer than the outage to load)`);
    await sleep(Math.max(0, left));
    cp.child.stdin!.write('listen\n');
    await cp.waitFor(/^listening (\d+)/, 60_000);
    const restartedAt = cp.lines.find((l) => l.line.startsWith('listening'))!.at;
    console.log(
      `control plane back on ${address} after ${((restartedAt - killedAt) / 1000).toFixed(1)} s, route now -> b`,
    );
    await sleep(after);
    const loadAtEnd = load();
    await client.stop();
    const lateOnes = client.inFlight;

    const applied = proxies.map((p) => p.lines.filter((l) => / applied \(version \d+\)/.test(l.line)).map((l) => l.at));
    const measured = client.records.filter((r) => r.due >= measureFrom);
    const report = outageReport(measured, { killedAt, restartedAt }, applied, { before: 'a', after: 'b' });
    const unreachable = proxies.map((p) => p.lines.filter((l) => /unreachable/.test(l.line)).length);

    console.log(`\nload average: at the kill ${loadAtKill}; at the end ${loadAtEnd}`);
    console.log(
      '\n| phase | requests | failed | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [phase, s] of Object.entries(report.byPhase))
      console.log(
        `| ${phase} | ${s.requests} | ${s.failed} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(1)} |`,
      );
    // failures over time (by due time, 5 s buckets from the kill): an outage's failures cluster after
    // the kill; a machine that cannot carry the rate fails from the start
    const buckets = new Map<number, { n: number; failed: number }>();
    for (const r of measured) {
      const k = Math.floor((r.due - killedAt) / 5_000) * 5;
      const b = buckets.get(k) ?? { n: 0, failed: 0 };
      b.n++;
      if (!r.ok) b.failed++;
      buckets.set(k, b);
    }
    console.log(
      `\nfailed / requests per 5 s from the kill (s): ${[...buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([k, b]) => `${k}: ${b.failed}/${b.n}`)
        .join(', ')}`,
    );
    if (lateOnes > 0) console.log(`\n${lateOnes} requests still open at the end (not counted)`);
    console.log(
      `\nfailed requests: ${report.failed} of ${report.total}` +
        (report.failures.length > 0 ? ` (${report.failures.map(([e, k]) => `${e}: ${k}`).join(', ')})` : ''),
    );
    console.log(
      '\n| proxy | unreachable lines | applied after restart | first answer from b | last answer from a |\n| --- | ---: | ---: | ---: | ---: |',
    );
    for (const r of report.resync)
      console.log(
        `| ${r.proxy} | ${unreachable[r.proxy]} | ${fmtMs(r.appliedMs)} | ${fmtMs(r.firstNewMs)} | ${fmtMs(r.lastOldMs)} |`,
      );
    console.log(
      `\nresync (slowest proxy, from the restart): applied ${fmtMs(report.slowest.appliedMs)}, ` +
        `first answer from b ${fmtMs(report.slowest.firstNewMs)}, every answer from b after ${fmtMs(report.slowest.lastOldMs)}`,
    );
    console.log(`goal 0 failed requests: ${report.failed === 0 ? 'met' : 'NOT met'}`);
    if (values.json !== undefined)
      writeFileSync(
        values.json,
        JSON.stringify(
          { rate, proxies: n, before, outage, after, loadAtKill, loadAtEnd, unreachable, ...report },
          null,
          1,
        ),
      );
    process.exitCode = report.failed === 0 && report.slowest.firstNewMs !== undefined ? 0 : 1;
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === '--control-plane')
  controlPlaneChild(process.argv.slice(3)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
else
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
