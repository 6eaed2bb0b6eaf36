import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { getAnalysis, strategyOf } from '../engine/canary/index.js';
import type { Canary, KubeEvent } from '../engine/resources/index.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';
import { CanaryHistory } from './canary-history.js';
import { MeshStats, type Golden } from './mesh-stats.js';

export const DASHBOARD_ACTIONS = ['promote', 'abort', 'pause', 'resume', 'retry'] as const;
export type DashboardAction = (typeof DASHBOARD_ACTIONS)[number];

export interface DashboardOptions {
  store: ResourceStore;
  /** a manual action on a Canary, as `weir promote|abort|pause|resume|retry` records it; undefined: not found */
  act?: (namespace: string, name: string, action: DashboardAction) => Promise<{ message: string } | undefined>;
  /** why a Failed run failed, in one line (as `weir describe` says it) */
  failureReason?: (canary: Canary, events: readonly KubeEvent[]) => string | undefined;
  /** loopback only: the dashboard has no authentication */
  host?: string;
  /** default: a free port */
  port?: number;
  /** how often the sidecars are scraped and the charts get a point (default 1 s) */
  sampleIntervalMs?: number;
  /** the window of the golden metrics (default 5 s) */
  windowMs?: number;
  /**
   * the last mirrored requests whose canary answer differed from the primary's, for a mirror Service
   * `namespace/name` (docs/mirror-diff.md); shown on a Canary's page
   */
  mirrorDiffs?: (q: { namespace: string; mirror: string; limit: number }) => Promise<unknown>;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** the page and its script: next to this file in the source tree, or in the package's dashboard/static from dist/ */
function staticDir(): string {
  const here = import.meta.dirname;
  const candidates = [join(here, 'static'), join(here, '..', '..', 'dashboard', 'static')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`the dashboard's page is missing (looked in ${candidates.join(', ')})`);
  return found;
}

/** uPlot's browser build and stylesheet, served from node_modules (no CDN) */
function uplotDir(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
}

function eventTime(e: KubeEvent): string {
  return e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '';
}

export function canaryEvents(store: ResourceStore, namespace: string, name: string): KubeEvent[] {
  return store
    .list<KubeEvent>('Event', namespace)
    .filter((e) => e.involvedObject.kind === 'Canary' && e.involvedObject.name === name)
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)) || a.metadata.name.localeCompare(b.metadata.name));
}

export interface TimelineEntry {
  /** the last occurrence */
  time: string;
  firstTime: string;
  type: string;
  reason: string;
  message: string;
  count: number;
}

/** the Events oldest first, a run of the same event (a controller repeating a wait every tick) as one entry */
export function timeline(events: readonly KubeEvent[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const e of events) {
    const last = out.at(-1);
    const time = eventTime(e);
    if (last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      last.count += e.count ?? 1;
      last.time = time;
      continue;
    }
    out.push({ time, firstTime: time, type: e.type, reason: e.reason, message: e.message, count: e.count ?? 1 });
  }
  return out;
}

/** phases in which nothing moves: the sidecars are not scraped for the charts unless a page is open */
const RESTING_PHASES: ReadonlySet<string> = new Set(['Initialized', 'Succeeded', 'Failed']);
/** a page polled the API within this long: keep the mesh figures fresh */
const VIEWED_MS = 60_000;

const STRATEGY_NAMES = { canary: 'canary', 'blue-green': 'blue/green', 'ab-testing': 'A/B' } as const;

function summary(c: Canary, golden: (ns: string, d: string) => Golden) {
  const analysis = getAnalysis(c);
  const target = c.spec.targetRef.name;
  const canaryWeight = c.status?.canaryWeight ?? 0;
  return {
    namespace: c.metadata.namespace,
    name: c.metadata.name,
    target,
    strategy: analysis?.mirror ? 'mirror' : STRATEGY_NAMES[strategyOf(analysis)],
    phase: c.status?.phase ?? 'Pending',
    canaryWeight,
    primaryWeight: 100 - canaryWeight,
    maxWeight: analysis?.maxWeight,
    failedChecks: c.status?.failedChecks ?? 0,
    threshold: analysis?.threshold,
    iterations: c.status?.iterations,
    suspended: c.spec.suspend === true,
    lastTransitionTime: c.status?.lastTransitionTime,
    primary: golden(c.metadata.namespace, `${target}-primary`),
    canary: golden(c.metadata.namespace, target),
  };
}

/**
 * The dashboard `weir up` serves on loopback: a page (static/) that polls this JSON API.
 *
 * | path | answer |
 * | --- | --- |
 * | `GET /api/canaries` | every Canary: phase, weights, failed checks, golden metrics of primary and canary |
 * | `GET /api/canaries/NS/NAME?since=MS` | one Canary: the same, its chart points (after `since`), Events, conditions, failure reason |
 * | `POST /api/canaries/NS/NAME/ACTION` | promote, abort, pause, resume, retry (header `x-weir-dashboard: 1`) |
 * | `GET /api/mesh` | per Deployment and per edge: success rate, RPS, p50/p99, from the sidecars' `/metrics` |
 *
 * A background loop records a chart point per Canary every `sampleIntervalMs`, scraping the sidecars for it while
 * a Canary is not at rest (Initialized, Succeeded, Failed) or while a page has polled the API in the last minute.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { store } = options;
  const mesh = new MeshStats({ store, windowMs: options.windowMs ?? 5_000 });
  const history = new CanaryHistory();
  const golden = (ns: string, d: string) => mesh.deployment(ns, d);
  const pageDir = staticDir();
  const vendorDir = uplotDir();

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();
  // the sidecars are scraped while a rollout moves or while someone looks; the weights are recorded always
  let lastViewed = 0;
  const sampleOnce = async (): Promise<void> => {
    const canaries = store.list<Canary>('Canary');
    const moving = canaries.some((c) => !RESTING_PHASES.has(c.status?.phase ?? 'Pending'));
    if (moving || Date.now() - lastViewed < VIEWED_MS) await mesh.sample();
    history.record(canaries, golden);
  };
  const loop = (): void => {
    if (closed) return;
    sampling = sampleOnce()
      .catch(() => {})
      .finally(() => {
        if (!closed) timer = setTimeout(loop, options.sampleIntervalMs ?? 1_000);
      });
  };
  loop();

  const app = express();
  app.disable('x-powered-by');
  // a page on another site must not drive the dashboard through the user's browser (DNS rebinding: the Host)
  app.use((req: Request, res: Response, next: NextFunction) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]', options.host ?? '127.0.0.1'].includes(host)) {
      res.status(403).type('text').send(`host ${host} not allowed`);
      return;
    }
    next();
  });
  app.use(express.json({ limit: '16kb' }));
  app.use('/api', (_req, _res, next) => {
    lastViewed = Date.now();
    next();
  });

  app.get('/api/canaries', (_req, res) => {
    const items = store
      .list<Canary>('Canary')
      .map((c) => summary(c, golden))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    res.json({ items });
  });
  app.get('/api/canaries/:ns/:name', (req, res) => {
    const { ns, name } = req.params;
    const c = store.get<Canary>('Canary', ns, name);
    if (!c) {
      res.status(404).json({ message: `canary ${ns}/${name} not found` });
      return;
    }
    const events = canaryEvents(store, ns, name);
    const since = Number(req.query.since ?? 0) || 0;
    res.json({
      canary: summary(c, golden),
      conditions: c.status?.conditions ?? [],
      failureReason: options.failureReason?.(c, events) ?? null,
      events: timeline(events),
      points: history.points(ns, name, since),
    });
  });
  app.get('/api/canaries/:ns/:name/mirror-diffs', (req, res) => {
    const { ns, name } = req.params;
    const c = store.get<Canary>('Canary', ns, name);
    if (!c) {
      res.status(404).json({ message: `canary ${ns}/${name} not found` });
      return;
    }
    if (!options.mirrorDiffs) {
      res.json({ differences: [], totals: [] });
      return;
    }
    // the Canary's mirror is its `<apex>-canary` Service (Flagger's naming)
    const mirror = `${ns}/${c.spec.service.name ?? c.spec.targetRef.name}-canary`;
    options.mirrorDiffs({ namespace: ns, mirror, limit: 20 }).then(
      (v) => res.json(v),
      (err: unknown) => res.status(500).json({ message: err instanceof Error ? err.message : String(err) }),
    );
  });
  app.post('/api/canaries/:ns/:name/:action', (req, res) => {
    const { ns, name, action } = req.params;
    if (req.headers['x-weir-dashboard'] !== '1') {
      res.status(403).json({ message: 'send the header x-weir-dashboard: 1' });
      return;
    }
    if (!(DASHBOARD_ACTIONS as readonly string[]).includes(action)) {
      res.status(404).json({ message: `unknown action ${action} (want ${DASHBOARD_ACTIONS.join(', ')})` });
      return;
    }
    if (!options.act) {
      res.status(503).json({ message: 'this dashboard has no manual control' });
      return;
    }
    options.act(ns, name, action as DashboardAction).then(
      (r) => res.status(r ? 202 : 404).json(r ?? { message: `canary ${ns}/${name} not found` }),
      (err: unknown) => res.status(500).json({ message: err instanceof Error ? err.message : String(err) }),
    );
  });
  app.get('/api/mesh', (_req, res) => {
    res.json(mesh.snapshot());
  });
  app.use('/vendor', express.static(vendorDir, { index: false }));
  app.use(express.static(pageDir, { index: 'index.html' }));
  app.use((req: Request, res: Response) => {
    res.status(404).type('text').send(`no route for ${req.method} ${req.path}`);
  });

  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise<Server>((resolve, reject) => {
    const srv = app.listen(options.port ?? 0, host);
    srv.once('listening', () => resolve(srv));
    srv.once('error', reject);
  }).catch(async (err: unknown) => {
    closed = true;
    if (timer) clearTimeout(timer);
    await sampling;
    throw err;
  });
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await sampling;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
