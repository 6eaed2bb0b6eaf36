import { request } from 'node:http';
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
