import { connect, constants, type ClientHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { greeterService, type HelloReply } from '../../../samples/app/greeter.js';
import { startOpenloop, type OpenloopResult, type OpenloopRun } from '../../support/openloop.js';

/**
 * A paced load over four kinds of client at once, each counted: HTTP/1.1 on kept-alive connections and
 * HTTP/1.1 on a new connection per request (`Connection: close`), both from `bench/openloop.c` (a fixed-rate
 * client in C, a tenth of a Node client's CPU per request: 1,000 req/s on two cores go to the proxies, not to the client), h2c
 * (node:http2, prior knowledge, one session) and gRPC (@grpc/grpc-js). Every request sent is answered (succeeded)
 * or failed with a kind (`status 503`, `reset`, `timeout`, `ECONNRESET`, `grpc UNAVAILABLE` ...): nothing is
 * dropped from the count. WEIR_LOAD_TRACE=1 prints openloop's progress (sent, answered, queued) every second.
 */
export type ClientKind = 'h1-keepalive' | 'h1-new-connection' | 'h2c' | 'grpc';

export interface KindTally {
  /** requests per second asked of this kind */
  rate: number;
  sent: number;
  succeeded: number;
  failed: number;
  /** failures by kind: `status 502`, `reset`, `ECONNRESET`, `grpc UNAVAILABLE` ... */
  failures: Record<string, number>;
  /** not sent: held back by the in-flight bound (node clients), or still queued at the end (openloop) */
  notSent: number;
  /** latency of the answers; openloop's counts from when a request was due, queueing included */
  p50Ms: number;
  p99Ms: number;
}

export interface LoadReport {
  seconds: number;
  sent: number;
  succeeded: number;
  failed: number;
  /** requests not sent (KindTally.notSent, summed): the client's own bound on a saturated machine, not a loss */
  heldBack: number;
  byKind: Record<ClientKind, KindTally>;
  /** the first failures, with the time they were seen */
  firstFailures: string[];
  /** answers per version header seen (x-version / gRPC reply) */
  versions: Record<string, number>;
  /** the slowest answers of the node clients (at most 10), with the time they were sent and their kind */
  slowest: string[];
  /** the worst kind's */
  p50Ms: number;
  p99Ms: number;
}

export interface MixedLoadOptions {
  /** HTTP Service port (HTTP/1.1 and h2c) */
  httpPort: number;
  /** gRPC Service port (Greeter) */
  grpcPort: number;
  /** total requests per second over the four kinds */
  rate: number;
  /** each kind's share of the rate (default: a quarter each) */
  mix?: Record<ClientKind, number>;
  /** requests of a node client waiting for an answer at most; beyond it its requests are held back and counted */
  maxInFlight?: number;
  timeoutMs?: number;
}

export interface MixedLoad {
  report(): LoadReport;
  stop(): Promise<LoadReport>;
}

interface Greeter extends grpc.Client {
  hello(req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: HelloReply) => void): void;
}
const GreeterClient = grpc.makeGenericClientConstructor(greeterService, 'Greeter') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
) => Greeter;

const KINDS: ClientKind[] = ['h1-keepalive', 'h1-new-connection', 'h2c', 'grpc'];
const EQUAL_MIX: Record<ClientKind, number> = { 'h1-keepalive': 1, 'h1-new-connection': 1, h2c: 1, grpc: 1 };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function errorKind(err: unknown): string {
  const e = err as { code?: string | number; name?: string; message?: string };
  if (typeof e.code === 'string') return e.code;
  return e.name && e.name !== 'Error' ? e.name : (e.message ?? String(err)).slice(0, 80);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function emptyTally(rate: number): KindTally {
  return { rate, sent: 0, succeeded: 0, failed: 0, failures: {}, notSent: 0, p50Ms: 0, p99Ms: 0 };
}

export async function startMixedLoad(opts: MixedLoadOptions): Promise<MixedLoad> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const mix = opts.mix ?? EQUAL_MIX;
  const shares = KINDS.reduce((n, k) => n + mix[k], 0);
  const rateOf = (k: ClientKind) => (opts.rate * mix[k]) / shares;
  const started = Date.now();
  const byKind = Object.fromEntries(KINDS.map((k) => [k, emptyTally(rateOf(k))])) as Record<ClientKind, KindTally>;
  const versions: Record<string, number> = {};
  const latencies: Record<'h2c' | 'grpc', number[]> = { h2c: [], grpc: [] };
  const firstFailures: string[] = [];
  const slowest: Array<{ ms: number; at: number; kind: ClientKind }> = [];
  let stopped: number | undefined;
  const noteFailure = (what: string) => {
    if (firstFailures.length < 20) firstFailures.push(`${new Date().toISOString()} ${what}`);
  };

  // HTTP/1.1: one openloop per kind
  const h1Kinds = ['h1-keepalive', 'h1-new-connection'] as const;
  const h1: Partial<Record<(typeof h1Kinds)[number], OpenloopRun>> = {};
  const h1Final: Partial<Record<(typeof h1Kinds)[number], OpenloopResult>> = {};
  for (const kind of h1Kinds) {
    if (rateOf(kind) <= 0) continue;
    const run = await startOpenloop({
      port: opts.httpPort,
      rate: rateOf(kind),
      // as many connections as the rate needs while answers take 100-200 ms (a machine loaded by pods starting), so
      // that requests wait in the proxies rather than in this client; new connections: at most this many at once
      connections: kind === 'h1-keepalive' ? 64 : 128,
      newConnectionPerRequest: kind === 'h1-new-connection',
      timeoutMs,
      countHeader: 'x-version',
    });
    let failedBefore = 0;
    run.onProgress((p) => {
      if (process.env.WEIR_LOAD_TRACE) console.log(new Date().toISOString(), kind, JSON.stringify(p));
      if (p.failed > failedBefore) noteFailure(`${kind}: ${p.failed - failedBefore} failed in the last second`);
      failedBefore = p.failed;
    });
    h1[kind] = run;
  }

  // h2c and gRPC: node clients, paced here
  const nodeKinds = (['h2c', 'grpc'] as const).filter((k) => rateOf(k) > 0);
  const maxInFlight = opts.maxInFlight ?? Math.max(50, opts.rate);
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  let h2: ClientHttp2Session | undefined;
  const h2session = (): ClientHttp2Session => {
    if (!h2 || h2.closed || h2.destroyed) {
      const s = connect(`http://127.0.0.1:${opts.httpPort}`);
      s.on('error', () => undefined); // each stream reports its own failure
      s.on('close', () => {
        if (h2 === s) h2 = undefined;
      });
      h2 = s;
    }
    return h2;
  };
  const greeter = new GreeterClient(`127.0.0.1:${opts.grpcPort}`, grpc.credentials.createInsecure());

  const sendOne: Record<'h2c' | 'grpc', () => Promise<string>> = {
    h2c: () =>
      new Promise((resolve, reject) => {
        const stream = h2session().request({ ':path': '/', ':method': 'GET' });
        stream.setTimeout(timeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
        let status = 0;
        let version = '';
        stream.on('response', (h) => {
          status = Number(h[':status']);
          version = String(h['x-version']);
        });
        stream.on('data', () => undefined);
        stream.on('end', () => (status === 200 ? resolve(version) : reject(new Error(`status ${status}`))));
        stream.on('close', () => {
          if (status === 0)
            reject(Object.assign(new Error('stream closed'), { code: `h2 rst ${stream.rstCode ?? '?'}` }));
        });
        stream.on('error', reject);
        stream.end();
      }),
    grpc: () =>
      new Promise((resolve, reject) =>
        greeter.hello({}, { deadline: Date.now() + timeoutMs }, (err, res) =>
          err
            ? reject(Object.assign(new Error(err.details), { code: `grpc ${grpc.status[err.code]}` }))
            : resolve(res!.version),
        ),
      ),
  };

  const fire = (kind: 'h2c' | 'grpc'): void => {
    const t = byKind[kind];
    t.sent++;
    inFlight++;
    const t0 = performance.now();
    const p = sendOne[kind]()
      .then((version) => {
        t.succeeded++;
        const ms = performance.now() - t0;
        latencies[kind].push(ms);
        if (slowest.length < 10 || ms > slowest[slowest.length - 1]!.ms) {
          slowest.push({ ms, at: Date.now() - ms, kind });
          slowest.sort((a, b) => b.ms - a.ms);
          if (slowest.length > 10) slowest.pop();
        }
        const key = `${kind === 'grpc' ? 'grpc' : 'http'} ${version}`;
        versions[key] = (versions[key] ?? 0) + 1;
      })
      .catch((err: unknown) => {
        t.failed++;
        const k = errorKind(err);
        t.failures[k] = (t.failures[k] ?? 0) + 1;
        noteFailure(`${kind}: ${k}`);
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };

  // pacing: every 10 ms, send what the rate owes since the start, round-robin over the node kinds
  const nodeRate = nodeKinds.reduce((n, k) => n + rateOf(k), 0);
  let owed = 0;
  let last = performance.now();
  let turn = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    owed += ((now - last) / 1000) * nodeRate;
    last = now;
    while (owed >= 1) {
      owed--;
      const kind = nodeKinds[turn++ % nodeKinds.length]!;
      if (inFlight >= maxInFlight) byKind[kind].notSent++;
      else fire(kind);
    }
  }, 10);

  const report = (): LoadReport => {
    const kinds = structuredClone(byKind);
    const seen: Record<string, number> = { ...versions };
    for (const kind of h1Kinds) {
      const t = kinds[kind];
      const final = h1Final[kind];
      if (final) {
        // a connection attempt that failed is a request a user would have seen fail
        const failures = { ...final.failures };
        if (final.connect_failures > 0) failures['connect failed'] = final.connect_failures;
        Object.assign(t, {
          sent: final.sent,
          succeeded: final.ok,
          failed: final.failed + final.connect_failures,
          failures,
          notSent: final.unsent,
          p50Ms: round1(final.p50_us / 1000),
          p99Ms: round1(final.p99_us / 1000),
        });
        for (const [v, n] of Object.entries(final.versions)) seen[`http ${v}`] = (seen[`http ${v}`] ?? 0) + n;
      } else if (h1[kind]) {
        const p = h1[kind].progress();
        Object.assign(t, { sent: p.sent, succeeded: p.ok, failed: p.failed });
      }
    }
    for (const kind of nodeKinds) {
      const sorted = [...latencies[kind]].sort((a, b) => a - b);
      kinds[kind].p50Ms = round1(percentile(sorted, 50));
      kinds[kind].p99Ms = round1(percentile(sorted, 99));
    }
    const sum = (f: (t: KindTally) => number) => KINDS.reduce((n, k) => n + f(kinds[k]), 0);
    return {
      seconds: ((stopped ?? Date.now()) - started) / 1000,
      sent: sum((t) => t.sent),
      succeeded: sum((t) => t.succeeded),
      failed: sum((t) => t.failed),
      heldBack: sum((t) => t.notSent),
      byKind: kinds,
      firstFailures: [...firstFailures],
      versions: seen,
      slowest: slowest.map((s) => `${new Date(s.at).toISOString()} ${s.kind}: ${Math.round(s.ms)} ms`),
      p50Ms: Math.max(...KINDS.map((k) => kinds[k].p50Ms)),
      p99Ms: Math.max(...KINDS.map((k) => kinds[k].p99Ms)),
    };
  };

  let stopping: Promise<LoadReport> | undefined;
  return {
    report,
    stop() {
      stopping ??= (async () => {
        clearInterval(tick);
        stopped = Date.now();
        const finals = await Promise.all(h1Kinds.map((k) => h1[k]?.stop()));
        h1Kinds.forEach((k, i) => {
          if (finals[i]) h1Final[k] = finals[i];
        });
        await Promise.all([...pending]);
        greeter.close();
        h2?.close();
        return report();
      })();
      return stopping;
    },
  };
}
