/**
 * The upstream HTTP/1.1 client alone, to weigh its memory against its CPU: undici's `Pool.dispatch()`
 * (what the proxy uses; llhttp compiled to WebAssembly, instantiated on the first connection) against
 * `node:http`'s keep-alive `Agent` (llhttp compiled natively into node). One process per run: it
 * imports the client, then keeps `--conns` requests in flight to `--port` until `--requests` are done,
 * and prints one JSON line: RSS after start, after the import, at the end, the peak (VmHWM), requests
 * per second and CPU microseconds per request (this process's user+system time).
 *
 * usage: node upstream-client.js --client undici|http --port P [--requests N] [--conns C]
 * (bench/upstream-client.sh runs both side by side against bench/upstream.js)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    client: { type: 'string', default: 'undici' },
    port: { type: 'string' },
    requests: { type: 'string', default: '50000' },
    conns: { type: 'string', default: '50' },
  },
});
const port = Number(values.port);
const total = Number(values.requests);
const conns = Number(values.conns);
if (!Number.isInteger(port) || port <= 0) throw new Error('--port: expected a port number');

function statusMB(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

type Send = (done: (ok: boolean) => void) => void;

async function undiciClient(): Promise<Send> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns, pipelining: 1 });
  return (done) => {
    pool.dispatch(
      { method: 'GET', path: '/64', headers: { host: `127.0.0.1:${port}` } },
      {
        onConnect() {},
        onHeaders() {
          return true;
        },
        onData() {
          return true;
        },
        onComplete() {
          done(true);
        },
        onError() {
          done(false);
        },
      },
    );
  };
}

async function httpClient(): Promise<Send> {
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  return (done) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/64', agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => done(true));
    });
    req.on('error', () => done(false));
    req.end();
  };
}

const rssStart = statusMB('VmRSS');
const send = values.client === 'http' ? await httpClient() : await undiciClient();
const rssImported = statusMB('VmRSS');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let started = 0;
let finished = 0;
let failed = 0;
await new Promise<void>((resolve) => {
  const next = (ok: boolean): void => {
    finished++;
    if (!ok) failed++;
    if (started < total) {
      started++;
      send(next);
    } else if (finished === total) resolve();
  };
  for (let i = 0; i < Math.min(conns, total); i++) {
    started++;
    send(next);
  }
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    client: values.client,
    requests: total,
    failed,
    rssStartMB: rssStart,
    rssImportedMB: rssImported,
    rssEndMB: statusMB('VmRSS'),
    peakMB: statusMB('VmHWM'),
    rps: Math.round(total / seconds),
    cpuUsPerReq: Math.round((cpu.user + cpu.system) / total),
  }),
);
process.exit(0);
