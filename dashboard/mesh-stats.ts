import {
  emptyGolden,
  goldenIncrease,
  goldenLatencyQuantileMs,
  goldenSnapshot,
  goldenSuccessRate,
  goldenTotal,
  parsePromText,
  sumGolden,
  type GoldenSnapshot,
  type PromSample,
} from '../engine/analysis/index.js';
import {
  ANNOTATION_ADMIN_PORT,
  ANNOTATION_PROXY_ADMIN,
  type Deployment,
  type Pod,
  type Service,
} from '../engine/resources/index.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';

/** golden metrics of some traffic over the window; fields absent without traffic */
export interface Golden {
  /** percent of non-failure responses */
  successRate?: number;
  /** responses per second */
  rps?: number;
  p50?: number;
  p99?: number;
}

export interface WorkloadStats extends Golden {
  namespace: string;
  deployment: string;
  /** the Services whose selector picks the Deployment's pods */
  services: string[];
  pods: number;
  /** pods whose sidecar answered its last scrape */
  meshed: number;
}

/** calls from one Deployment's sidecars to a Service (and the Deployment that answered) */
export interface EdgeStats extends Golden {
  namespace: string;
  deployment: string;
  dstNamespace: string;
  dstService: string;
  dstDeployment?: string;
}

export interface MeshSnapshot {
  at: string;
  windowMs: number;
  workloads: WorkloadStats[];
  edges: EdgeStats[];
}

interface PodSample {
  at: number;
  inbound: GoldenSnapshot;
  /** outbound golden series by `dst_namespace/dst_service/dst_deployment` */
  outbound: Map<string, GoldenSnapshot>;
}

interface PodRing {
  namespace: string;
  deployment: string;
  samples: PodSample[];
  scrapedOk: boolean;
}

export interface MeshStatsOptions {
  store: ResourceStore;
  /** the window rates and quantiles are computed over (default 10 s) */
  windowMs?: number;
  /** per scrape (default 1 s) */
  scrapeTimeoutMs?: number;
  /** how one sidecar's `/metrics` is read (default: HTTP GET) */
  scrape?: (url: string, timeoutMs: number) => Promise<string>;
  now?: () => number;
}

async function httpScrape(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return await res.text();
}

/** where a pod's sidecar serves `/metrics`: `weir.io/proxy-admin` (`HOST:PORT`), else the in-process admin port */
export function sidecarAdmin(pod: Pod): string | undefined {
  const a = pod.metadata.annotations ?? {};
  if (a[ANNOTATION_PROXY_ADMIN]) return a[ANNOTATION_PROXY_ADMIN];
  if (a[ANNOTATION_ADMIN_PORT]) return `127.0.0.1:${a[ANNOTATION_ADMIN_PORT]}`;
  return undefined;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

function outboundByDestination(samples: readonly PromSample[]): Map<string, GoldenSnapshot> {
  const groups = new Map<string, PromSample[]>();
  for (const s of samples) {
    if (s.labels.direction !== 'outbound' || !s.labels.dst_service) continue;
    const key = `${s.labels.dst_namespace ?? ''}/${s.labels.dst_service}/${s.labels.dst_deployment ?? ''}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  return new Map([...groups].map(([k, list]) => [k, goldenSnapshot(list, () => true)]));
}

function stats(increase: GoldenSnapshot, spanMs: number): Golden {
  const out: Golden = {};
  if (goldenTotal(increase) === 0) {
    if (spanMs > 0) out.rps = 0;
    return out;
  }
  const sr = goldenSuccessRate(increase);
  if (sr !== undefined) out.successRate = sr;
  if (spanMs > 0) out.rps = goldenTotal(increase) / (spanMs / 1000);
  const p50 = goldenLatencyQuantileMs(0.5, increase);
  if (p50 !== undefined) out.p50 = p50;
  const p99 = goldenLatencyQuantileMs(0.99, increase);
  if (p99 !== undefined) out.p99 = p99;
  return out;
}

/**
 * The mesh as the sidecars see it, as `linkerd viz stat` shows it: every pod's sidecar admin `/metrics` is
 * scraped on each `sample()`, kept for a window, and summed per Deployment (inbound: success rate, RPS,
 * p50/p99) and per edge (a Deployment's outbound calls to a Service).
 */
export class MeshStats {
  private readonly rings = new Map<string, PodRing>();
  private readonly windowMs: number;

  constructor(private readonly options: MeshStatsOptions) {
    this.windowMs = options.windowMs ?? 10_000;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** scrape every pod's sidecar once */
  async sample(): Promise<void> {
    const pods = this.options.store.list<Pod>('Pod');
    const scrape = this.options.scrape ?? httpScrape;
    const at = this.now();
    const live = new Set<string>();
    await Promise.all(
      pods.map(async (pod) => {
        const admin = sidecarAdmin(pod);
        const deployment = deploymentOf(this.options.store, pod);
        if (!admin || !deployment) return;
        const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid ?? ''}`;
        live.add(key);
        const ring = this.rings.get(key) ?? {
          namespace: pod.metadata.namespace,
          deployment,
          samples: [],
          scrapedOk: false,
        };
        this.rings.set(key, ring);
        try {
          const { samples } = parsePromText(
            await scrape(`http://${admin}/metrics`, this.options.scrapeTimeoutMs ?? 1000),
          );
          ring.samples.push({ at, inbound: goldenSnapshot(samples), outbound: outboundByDestination(samples) });
          ring.scrapedOk = true;
        } catch {
          ring.scrapedOk = false;
        }
        while (ring.samples.length > 2 && ring.samples[0]!.at < at - this.windowMs - 5_000) ring.samples.shift();
      }),
    );
    for (const key of [...this.rings.keys()]) if (!live.has(key)) this.rings.delete(key);
  }

  /** golden metrics of one Deployment's pods (inbound) over the window */
  deployment(namespace: string, deployment: string): Golden {
    const inc = this.increasesFor(namespace, deployment);
    return inc ? stats(inc.golden, inc.spanMs) : {};
  }

  private increasesFor(namespace: string, deployment: string): { golden: GoldenSnapshot; spanMs: number } | undefined {
    const since = this.now() - this.windowMs;
    const list: GoldenSnapshot[] = [];
    let spanMs = 0;
    for (const ring of this.rings.values()) {
      if (ring.namespace !== namespace || ring.deployment !== deployment) continue;
      const inWindow = ring.samples.filter((s) => s.at >= since);
      if (inWindow.length < 2) continue;
      spanMs = Math.max(spanMs, inWindow.at(-1)!.at - inWindow[0]!.at);
      let inc = emptyGolden();
      for (let i = 1; i < inWindow.length; i++)
        inc = sumGolden([inc, goldenIncrease(inWindow[i - 1]!.inbound, inWindow[i]!.inbound)]);
      list.push(inc);
    }
    return list.length === 0 ? undefined : { golden: sumGolden(list), spanMs };
  }

  snapshot(): MeshSnapshot {
    const store = this.options.store;
    const services = store.list<Service>('Service');
    const workloads: WorkloadStats[] = store.list<Deployment>('Deployment').map((d) => {
      const ns = d.metadata.namespace;
      const selector = d.spec.selector.matchLabels;
      const pods = store.list<Pod>('Pod', ns).filter((p) => selects(selector, p.metadata.labels));
      const rings = [...this.rings.values()].filter((r) => r.namespace === ns && r.deployment === d.metadata.name);
      const inc = this.increasesFor(ns, d.metadata.name);
      return {
        namespace: ns,
        deployment: d.metadata.name,
        services: services
          .filter((s) => s.metadata.namespace === ns && selects(s.spec.selector, selector))
          .map((s) => s.metadata.name)
          .sort(),
        pods: pods.length,
        meshed: rings.filter((r) => r.scrapedOk).length,
        ...(inc ? stats(inc.golden, inc.spanMs) : {}),
      };
    });
    workloads.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.deployment.localeCompare(b.deployment));

    // edges: per (source Deployment, destination), summed over the source's pods
    const edges = new Map<string, { edge: EdgeStats; list: GoldenSnapshot[]; spanMs: number }>();
    const since = this.now() - this.windowMs;
    for (const ring of this.rings.values()) {
      const inWindow = ring.samples.filter((s) => s.at >= since);
      if (inWindow.length < 2) continue;
      const spanMs = inWindow.at(-1)!.at - inWindow[0]!.at;
      const dests = new Set(inWindow.flatMap((s) => [...s.outbound.keys()]));
      for (const dest of dests) {
        let inc = emptyGolden();
        for (let i = 1; i < inWindow.length; i++) {
          const after = inWindow[i]!.outbound.get(dest);
          if (after) inc = sumGolden([inc, goldenIncrease(inWindow[i - 1]!.outbound.get(dest), after)]);
        }
        const [dstNamespace = '', dstService = '', dstDeployment = ''] = dest.split('/');
        const key = `${ring.namespace}/${ring.deployment}>${dest}`;
        const entry = edges.get(key) ?? {
          edge: {
            namespace: ring.namespace,
            deployment: ring.deployment,
            dstNamespace,
            dstService,
            ...(dstDeployment ? { dstDeployment } : {}),
          },
          list: [],
          spanMs: 0,
        };
        entry.list.push(inc);
        entry.spanMs = Math.max(entry.spanMs, spanMs);
        edges.set(key, entry);
      }
    }
    return {
      at: new Date(this.now()).toISOString(),
      windowMs: this.windowMs,
      workloads,
      edges: [...edges.values()]
        .map((e) => ({ ...e.edge, ...stats(sumGolden(e.list), e.spanMs) }))
        .sort(
          (a, b) =>
            a.namespace.localeCompare(b.namespace) ||
            a.deployment.localeCompare(b.deployment) ||
            a.dstService.localeCompare(b.dstService),
        ),
    };
  }
}

/** the Deployment whose selector picks the pod */
function deploymentOf(store: ResourceStore, pod: Pod): string | undefined {
  return store
    .list<Deployment>('Deployment', pod.metadata.namespace)
    .find((d) => selects(d.spec.selector.matchLabels, pod.metadata.labels))?.metadata.name;
}
