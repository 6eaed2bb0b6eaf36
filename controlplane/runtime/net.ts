import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** a port the system considers free right now, on 127.0.0.1 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** the system's ephemeral port range: where listen(0) and outgoing connections take their ports from */
export function ephemeralPortRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo! > 0 && hi! >= lo!) return [lo!, hi!];
  } catch {
    // not Linux: the IANA range most other systems use
    return [49152, 65535];
  }
  return [32768, 60999];
}

/** below this, ports that well-known servers use (Prometheus 9090, 8080...): never handed out to pods */
const LOWEST_POD_PORT = 10_000;

/**
 * Ports this process handed out lately (oldest first): free when checked, but maybe not bound yet (an app still
 * starting), so never handed out twice.
 */
const handedOut = new Set<number>();
const HANDED_OUT_KEPT = 4096;

function handOut(port: number): number {
  handedOut.add(port);
  if (handedOut.size > HANDED_OUT_KEPT) handedOut.delete(handedOut.values().next().value!);
  return port;
}

/**
 * A port for a pod's process to bind later (its app, its sidecar's listeners): free now, and outside the
 * system's ephemeral range. A port from listen(0) is inside it, and between now and the moment the app binds
 * it any outgoing connection on the machine may take it as its source port: the app then fails with
 * EADDRINUSE, on every restart for as long as that connection lives (seen under load, with a canary in
 * CrashLoopBackOff until its progress deadline). Kubernetes keeps its NodePorts (30000-32767) out of Linux's
 * default ephemeral range for the same reason. Falls back to `freePort` when the range leaves no room.
 */
export async function podPort(host = '127.0.0.1', range = ephemeralPortRange()): Promise<number> {
  const [lo, hi] = range;
  const spans = [
    [LOWEST_POD_PORT, lo - 1],
    [Math.max(hi + 1, LOWEST_POD_PORT), 65535],
  ].filter(([a, b]) => b! - a! >= 1000) as Array<[number, number]>;
  const size = spans.reduce((n, [a, b]) => n + b - a + 1, 0);
  for (let attempt = 0; size > 0 && attempt < 50; attempt++) {
    let k = Math.floor(Math.random() * size);
    for (const [a, b] of spans) {
      if (k <= b - a) {
        const port = a + k;
        if (handedOut.has(port)) break;
        handOut(port); // before the check: a concurrent call does not pick it meanwhile
        if (await canBind(port, host)) return port;
        handedOut.delete(port);
        break;
      }
      k -= b - a + 1;
    }
  }
  return freePort(host);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** does something accept TCP connections on host:port within timeoutMs (judged as `httpProbe` judges its timeout) */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => setImmediate(() => done(false)), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * An HTTP GET probe as the kubelet does it: success is a status in 200..399 within timeoutMs.
 *
 * The prober shares its event loop with everything else of `weir up` (the Service ports' proxies among them):
 * when that loop is late, the timeout's timer and an answer that arrived in time fall due in the same turn, and
 * timers run before I/O. The verdict "timed out" therefore waits for the I/O of that turn (`setImmediate` runs
 * after it): an answer already received wins, and the probe measures the app, not the prober's own lag.
 */
export function httpProbe(port: number, path: string, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const req = request(
      { host, port, path, method: 'GET', agent: false, headers: { 'user-agent': 'weir-probe/1', connection: 'close' } },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        done(code >= 200 && code < 400);
      },
    );
    const timer = setTimeout(() => setImmediate(() => done(false)), timeoutMs);
    req.once('error', () => done(false));
    req.end();
  });
}
