import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../../proxy/index.js';
import type { FrontLimits } from '../../../proxy/protocol/limits.js';
import { endpoints, freePort, HOST, ManualConfigSource, service } from '../../proxy/support/harness.js';

/** The limits the hostile-input tests run the proxies with: small timeouts so that each case is quick. */
export const TEST_LIMITS: Partial<FrontLimits> = {
  headersTimeoutMs: 1_500,
  requestTimeoutMs: 3_000,
  idleTimeoutMs: 2_000,
  maxHeaderBytes: 16 * 1024,
  maxConcurrentStreams: 100,
};

/**
 * The app behind the proxies: answers every request `200 <method> <url>` once its body has been read
 * (and thrown away: a large body costs it nothing), and keeps the request lines it saw, so a test can
 * tell whether a smuggled request reached it.
 */
export interface SinkApp {
  port: number;
  /** `METHOD url` of every request the app saw */
  seen: string[];
  /** request body bytes received in all */
  bodyBytes: number;
  close(): Promise<void>;
}

export async function startSinkApp(): Promise<SinkApp> {
  const app: SinkApp = { port: 0, seen: [], bodyBytes: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    app.seen.push(`${req.method} ${req.url}`);
    req.on('data', (c: Buffer) => (app.bodyBytes += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${req.url}`);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, HOST, r));
  app.port = (server.address() as AddressInfo).port;
  app.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return app;
}

export interface Targets {
  app: SinkApp;
  inbound: InboundProxy;
  outbound: OutboundProxy;
  /** the listening port of each proxy, by name */
  ports: { inbound: number; outbound: number };
  close(): Promise<void>;
}

/** an echo app behind an inbound proxy, and an outbound proxy whose Service `web` reaches the app */
export async function startTargets(limits: Partial<FrontLimits> = TEST_LIMITS): Promise<Targets> {
  const app = await startSinkApp();
  const inbound = await startInboundProxy({ appPort: app.port, detectTimeoutMs: 1_000, limits, drainMs: 0 });
  const svc = service('web', await freePort());
  const config = new ManualConfigSource({
    services: [svc],
    httpRoutes: [],
    endpoints: [endpoints(svc, [{ port: app.port }])],
  });
  const outbound = await startOutboundProxy({
    configSource: config,
    detectTimeoutMs: 1_000,
    limits,
    drainMs: 0,
    onError: () => undefined,
  });
  await outbound.settled();
  return {
    app,
    inbound,
    outbound,
    ports: { inbound: inbound.port, outbound: svc.spec.ports[0]!.port },
    close: async () => {
      await outbound.close({ drainMs: 0 });
      await inbound.close({ drainMs: 0 });
      await app.close();
    },
  };
}

export interface WellBehaved {
  /** stop sending; resolves with the count of requests answered 200 and every failure seen */
  stop(): Promise<{ ok: number; failures: string[] }>;
}

/**
 * A well-behaved client: sequential GETs over keep-alive (and a fresh connection every 10th), each
 * bounded by 20 s (generous: the machine may be loaded, and the attack shares this process), until stopped. Anything but a 200 with the app's answer is a failure.
 */
export function wellBehavedClient(port: number): WellBehaved {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: HOST, port, path: `/good/${n}`, agent: n % 10 === 0 ? false : agent, timeout: 20_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode === 200 && body.includes(`/good/${n}`)) ok++;
            else failures.push(`${n}: ${res.statusCode} ${body.slice(0, 200)}`);
            resolve();
          });
          res.on('error', (err) => {
            failures.push(`${n}: ${err.message}`);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => {
        failures.push(`${n}: ${err.message}`);
        resolve();
      });
      req.end();
    });
  const loop = (async () => {
    for (let n = 0; running; n++) {
      await one(n);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return { ok, failures };
    },
  };
}

/**
 * Memory in use: the JS heap plus Buffers (which live outside it), after a full collection when the
 * test runs with --expose-gc, else as it is.
 */
export function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** the highest `heapUsed()` (without forcing collections) sampled every 10 ms while `run` runs, above the start */
export async function peakGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const sample = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = heapUsed();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, sample())), 10);
  try {
    const result = await run();
    peak = Math.max(peak, sample());
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}
