import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { canConnect, freePort, httpProbe } from '../../controlplane/runtime/index.js';
import { waitFor } from './helpers.js';

// The runtime's readiness probes run in `weir up`'s event loop, beside the Service ports' proxies. A loop that
// is late must not turn an answer that arrived in time into a failed probe: three of those in a row (the default
// failureThreshold) take a lone pod out of its Service although its app answered every probe in time.

/** a server in a process of its own (it answers while this one is blocked); prints `got` for each request */
const APP = `
const { createServer } = require('node:http');
createServer((req, res) => {
  console.log('got');
  const ms = Number(/^\\/delay\\/(\\d+)$/.exec(req.url)?.[1] ?? 0);
  setTimeout(() => res.end('ok'), ms);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

let app: ChildProcess | undefined;
let output = '';
afterEach(() => {
  app?.kill('SIGKILL');
  app = undefined;
  output = '';
});

async function startApp(): Promise<number> {
  const port = await freePort();
  app = spawn(process.execPath, ['-e', APP], { env: { ...process.env, PORT: String(port) } });
  app.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(() => output.includes('listening'), 'the app to listen', 10_000);
  return port;
}

/** keep this process's event loop busy, as a loaded `weir up` is */
function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('readiness probes under a late event loop', () => {
  it('an HTTP probe answered within its timeout succeeds even when the prober looks at the answer late', async () => {
    const port = await startApp();
    // the app has the request, answers it 50 ms later; the prober's loop is busy for 600 ms, past the 300 ms timeout
    const probe = httpProbe(port, '/delay/50', 300);
    await waitFor(() => output.includes('got'), 'the request to reach the app', 10_000, 1);
    // blocked at the end of a turn of the loop: the next turn starts with the timers, the timeout's among them
    await new Promise<void>((r) =>
      setImmediate(() => {
        blockFor(600);
        r();
      }),
    );
    expect(await probe).toBe(true);
  });

  it('an HTTP probe that gets no answer within its timeout still fails', async () => {
    const port = await startApp();
    const started = Date.now();
    expect(await httpProbe(port, '/delay/2000', 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a TCP probe to a closed port fails, to a listening one succeeds', async () => {
    const port = await startApp();
    expect(await canConnect(port, '127.0.0.1', 300)).toBe(true);
    expect(await canConnect(await freePort(), '127.0.0.1', 300)).toBe(false);
  });
});
