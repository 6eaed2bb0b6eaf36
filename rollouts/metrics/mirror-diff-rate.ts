import { parsePromText } from '../../engine/analysis/index.js';
import { diffIncrease, diffRatePercent, diffTotals, type DiffTotals } from '../../engine/mirror-diff/index.js';
import { ANNOTATION_ADMIN_PORT, type Canary, type Pod } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { apexServiceName } from '../targets/objects.js';

interface Sample {
  at: number;
  totals: DiffTotals;
}

export interface MirrorDiffRateOptions {
  store: ResourceStore;
  /** admin `/metrics` URLs of proxies outside the pods (`weir up`'s own outbound proxy) */
  sources?: () => readonly string[];
  host: string;
  scrape: (url: string, timeoutMs: number) => Promise<string>;
  scrapeTimeoutMs: number;
  retentionMs: number;
  now: () => number;
  debug: (msg: string) => void;
}

/**
 * `mirror-diff-rate` of a Canary: the mirror-diff counters (`mirror_diff_requests_total`,
 * `mirror_diff_differing_total`) whose mirror is the Canary's `<apex>-canary` Service, read from every
 * proxy that may mirror to it (each pod of the Canary's namespace with an admin port, and the extra
 * `sources`, e.g. the outbound proxy of `weir up` that serves the Service ports), kept as timestamped
 * samples per proxy; the rate is the sum of the increases over the window. None compared: no data.
 */
export class MirrorDiffRates {
  private readonly rings = new Map<string, Sample[]>();

  constructor(private readonly o: MirrorDiffRateOptions) {}

  private urls(namespace: string): string[] {
    const pods = this.o.store
      .list<Pod>('Pod', namespace)
      .map((p) => p.metadata.annotations?.[ANNOTATION_ADMIN_PORT])
      .filter((p): p is string => p !== undefined)
      .map((port) => `http://${this.o.host}:${port}/metrics`);
    return [...(this.o.sources?.() ?? []), ...pods];
  }

  /** scrape every source once */
  async sample(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    const mirror = `${apexServiceName(canary)}-canary`;
    const at = this.o.now();
    await Promise.all(
      this.urls(ns).map(async (url) => {
        try {
          const text = await this.o.scrape(url, this.o.scrapeTimeoutMs);
          const totals = diffTotals(
            parsePromText(text).samples,
            (l) => l.mirror_namespace === ns && l.mirror_service === mirror,
          );
          const key = `${ns}/${mirror} ${url}`;
          const ring = this.rings.get(key) ?? [];
          ring.push({ at, totals });
          while (ring.length > 2 && ring[0]!.at < at - this.o.retentionMs) ring.shift();
          this.rings.set(key, ring);
        } catch (err) {
          this.o.debug(`mirror diff scrape ${url}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
  }

  /** percent of compared requests that differed over the window; undefined without comparisons */
  async rate(canary: Canary, windowMs: number): Promise<number | undefined> {
    await this.sample(canary);
    const prefix = `${canary.metadata.namespace}/${apexServiceName(canary)}-canary `;
    const now = this.o.now();
    const sum: DiffTotals = { compared: 0, differing: 0 };
    for (const [key, ring] of this.rings) {
      if (!key.startsWith(prefix)) continue;
      const inWindow = ring.filter((s) => s.at >= now - windowMs);
      for (let i = 1; i < inWindow.length; i++) {
        const inc = diffIncrease(inWindow[i - 1]!.totals, inWindow[i]!.totals);
        sum.compared += inc.compared;
        sum.differing += inc.differing;
      }
    }
    return diffRatePercent(sum);
  }
}
