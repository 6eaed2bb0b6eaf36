import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { canarySchema, type Secret, type Canary, type CanaryMetric } from '../../../engine/resources/index.js';
import { MetricTemplateProvider } from '../../../rollouts/metrics/template-provider.js';
import { canary, NS } from '../fixtures.js';

/** One recorded exchange: what the provider must ask (method, path) and what the API answered. */
export interface Exchange {
  method: string;
  /** the exact path, or a pattern for paths with generated names */
  path: string | RegExp;
  status?: number;
  contentType?: string;
  body: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP server that replays recorded request/response pairs in order and records what came; a
 * request that is not the next expected one gets 599 and is recorded too, so the test sees it.
 */
export class Replay {
  readonly seen: SeenRequest[] = [];
  private readonly server: Server;
  private next = 0;
  url = '';

  constructor(private readonly exchanges: Exchange[]) {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        this.seen.push({
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body,
        });
        const want = this.exchanges[this.next];
        const pathOk = want && (typeof want.path === 'string' ? want.path === u.pathname : want.path.test(u.pathname));
        if (!want || want.method !== req.method || !pathOk) {
          res.writeHead(599, { 'content-type': 'text/plain' }).end(`unexpected ${req.method} ${u.pathname}`);
          return;
        }
        this.next++;
        res.writeHead(want.status ?? 200, { 'content-type': want.contentType ?? 'application/json' }).end(want.body);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A store holding one MetricTemplate `t` (and its Secret `creds` when given), and a query through it. */
export async function queryTemplate(opts: {
  provider: Record<string, unknown>;
  query: string;
  secret?: Record<string, string>;
  interval?: string;
  now: Date;
  env?: NodeJS.ProcessEnv;
  variables?: Record<string, string>;
}): Promise<number | undefined> {
  const store = new MemoryStore();
  await store.apply({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: { name: 't', namespace: NS },
    spec: {
      provider: { ...opts.provider, ...(opts.secret ? { secretRef: { name: 'creds' } } : {}) },
      query: opts.query,
    },
  });
  if (opts.secret) {
    // base64 `data`, as Kubernetes stores it
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.secret)) data[k] = Buffer.from(v).toString('base64');
    const obj: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'creds', namespace: NS },
      data,
    };
    await store.apply(obj);
  }
  const metric = {
    name: 'm',
    templateRef: { name: 't' },
    thresholdRange: { min: 0 },
    interval: opts.interval ?? '1m',
    ...(opts.variables ? { templateVariables: opts.variables } : {}),
  };
  const c: Canary = canarySchema.parse(canary({ metrics: [metric] }));
  const provider = new MetricTemplateProvider({ store, ...(opts.env ? { env: opts.env } : {}) });
  const m = c.spec.analysis!.metrics![0] as CanaryMetric;
  return provider.query({ canary: c, metric: m, windowMs: 60_000, now: opts.now });
}
