import { get } from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { Agent, request } from 'undici';
import { greeterService, type HelloReply } from '../../../samples/app/greeter.js';

/**
 * A paced load over four kinds of client at once, each counted: HTTP/1.1 on kept-alive connections (undici),
 * HTTP/1.1 on a new connection per request (node:http, `Connection: close`), h2c (node:http2, prior
 * knowledge, one session) and gRPC (@grpc/grpc-js). Every request sent is answered (succeeded) or failed with
 * a kind (`status 503`, `ECONNRESET`, `UNAVAILABLE`, `timeout` ...): nothing is dropped from the count.
 */
export type ClientKind = 'h1-keepalive' | 'h1-new-connection' | 'h2c' | 'grpc';

export interface KindTally {
  sent: number;
  succeeded: number;
  failed: number;
  /** failures by kind: `status 502`, `ECONNRESET`, `grpc UNAVAILABLE` ... */
  failures: Record<string, number>;
}

export interface LoadReport {
  seconds: number;
  sent: number;
  succeeded: number;
  failed: number;
  /** requests not sent because `maxInFlight` were already waiting (the client's own bound, not a loss) */
  heldBack: number;
  byKind: Record<ClientKind, KindTally>;
  /** the first failures, with the time they happened */
  firstFailures: string[];
  /** answers per version header seen (x-version / gRPC reply) */
  versions: Record<string, number>;
  /** the slowest answers (at most 10), with the time they were sent and their kind: where a stall was */
  slowest: string[];
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
  /** requests waiting for an answer at most; beyond it a tick's requests are held back and counted */
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function errorKind(err: unknown): string {
  const e = err as { code?: string | number; name?: string; message?: string };
  if (typeof e.code === 'string') return e.code;
  return e.name && e.name !== 'Error' ? e.name : (e.message ?? String(err)).slice(0, 80);
}

export function startMixedLoad(opts: MixedLoadOptions): MixedLoad {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxInFlight = opts.maxInFlight ?? Math.max(50, opts.rate);
  const started = Date.now();
  const byKind = Object.fromEntries(
    KINDS.map((k) => [k, { sent: 0, succeeded: 0, failed: 0, failures: {} } satisfies KindTally]),
  ) as Record<ClientKind, KindTally>;
  const versions: Record<string, number> = {};
  const latencies: number[] = [];
  const firstFailures: string[] = [];
  const slowest: Array<{ ms: number; at: number; kind: ClientKind }> = [];
  let heldBack = 0;
  let inFlight = 0;
  let stopped: number | undefined;
  const pending = new Set<Promise<void>>();

  const agent = new Agent({ keepAliveTimeout: 4_000, connections: 16 });
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

  const sendOne: Record<ClientKind, () => Promise<string>> = {
    'h1-keepalive': async () => {
      const r = await request(`http://127.0.0.1:${opts.httpPort}/`, {
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
      return String(r.headers['x-version']);
    },
    'h1-new-connection': () =>
      new Promise((resolve, reject) => {
        const req = get(
          `http://127.0.0.1:${opts.httpPort}/`,
          { agent: false, headers: { connection: 'close' }, timeout: timeoutMs },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200
                ? resolve(String(res.headers['x-version']))
                : reject(new Error(`status ${res.statusCode}`)),
            );
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
        req.on('error', reject);
      }),
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

  const fire = (kind: ClientKind): void => {
    const t = byKind[kind];
    t.sent++;
    inFlight++;
    const t0 = performance.now();
    const p = sendOne[kind]()
      .then((version) => {
        t.succeeded++;
        const ms = performance.now() - t0;
        latencies.push(ms);
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
        if (firstFailures.length < 20) firstFailures.push(`${new Date().toISOString()} ${kind}: ${k}`);
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };

  // pacing: every 10 ms, send what the rate owes since the start, round-robin over the kinds
  let owed = 0;
  let last = performance.now();
  let turn = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    owed += ((now - last) / 1000) * opts.rate;
    last = now;
    while (owed >= 1) {
      owed--;
      const kind = KINDS[turn++ % KINDS.length]!;
      if (inFlight >= maxInFlight) heldBack++;
      else fire(kind);
    }
  }, 10);

  const report = (): LoadReport => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const sum = (f: (t: KindTally) => number) => KINDS.reduce((n, k) => n + f(byKind[k]), 0);
    return {
      seconds: ((stopped ?? Date.now()) - started) / 1000,
      sent: sum((t) => t.sent),
      succeeded: sum((t) => t.succeeded),
      failed: sum((t) => t.failed),
      heldBack,
      byKind: structuredClone(byKind),
      firstFailures: [...firstFailures],
      versions: { ...versions },
      slowest: slowest.map((s) => `${new Date(s.at).toISOString()} ${s.kind}: ${Math.round(s.ms)} ms`),
      p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
      p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
    };
  };

  return {
    report,
    async stop() {
      clearInterval(tick);
      stopped = Date.now();
      await Promise.all([...pending]);
      greeter.close();
      h2?.close();
      await agent.close();
      return report();
    },
  };
}
