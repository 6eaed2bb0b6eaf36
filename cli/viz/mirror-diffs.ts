import type { Pod } from '../../engine/resources/index.js';
import type { MirrorDiffsPage, RecordedDiff } from '../../proxy/mirror-diff/recorder.js';
import { adminOf, podKey } from './workloads.js';

const FETCH_TIMEOUT_MS = 5_000;

/** what one proxy's `GET /mirror-diffs` answers */
export type ProxyDiffView = MirrorDiffsPage;

/** every mirroring proxy's view, merged: each item says which proxy compared it */
export interface MirrorDiffsView {
  differences: Array<RecordedDiff & { proxy: string }>;
  totals: Array<ProxyDiffView['totals'][number] & { proxy: string }>;
  noise: Record<string, string[]>;
  /** proxies that did not answer, with why */
  failed: Record<string, string>;
}

export interface CollectOptions {
  /** proxies of this process (`weir up`'s outbound proxy), by name */
  local: ReadonlyArray<{ name: string; view: (limit: number) => ProxyDiffView }>;
  /** the meshed pods whose sidecars are asked (`weir.io/proxy-admin`) */
  pods: readonly Pod[];
  /** only comparisons whose mirror is this `namespace/service` */
  mirror?: string;
  /** only comparisons whose route or mirror is in this namespace */
  namespace?: string;
  /** most differences returned (newest first) */
  limit: number;
}

/** The mirror diffs of every mirroring proxy: this process's own and each meshed pod's sidecar. */
export async function collectMirrorDiffs(o: CollectOptions): Promise<MirrorDiffsView> {
  const views: Array<{ proxy: string; view: ProxyDiffView }> = o.local.map((l) => ({
    proxy: l.name,
    view: l.view(o.limit),
  }));
  const failed: Record<string, string> = {};
  await Promise.all(
    o.pods.map(async (pod) => {
      const admin = adminOf(pod);
      if (admin === undefined) return;
      try {
        const res = await fetch(`http://${admin}/mirror-diffs?limit=${o.limit}`, {
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        views.push({ proxy: podKey(pod), view: (await res.json()) as ProxyDiffView });
      } catch (err) {
        failed[podKey(pod)] = err instanceof Error ? err.message : String(err);
      }
    }),
  );
  const keep = (x: { route: string; mirror: string }): boolean =>
    (o.mirror === undefined || x.mirror === o.mirror) &&
    (o.namespace === undefined || x.mirror.startsWith(`${o.namespace}/`) || x.route.startsWith(`${o.namespace}/`));
  const differences = views
    .flatMap((v) => v.view.differences.map((d) => ({ ...d, proxy: v.proxy })))
    .filter(keep)
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, o.limit);
  const totals = views.flatMap((v) => v.view.totals.map((t) => ({ ...t, proxy: v.proxy }))).filter(keep);
  const noise: Record<string, string[]> = {};
  for (const v of views) {
    for (const [k, fields] of Object.entries(v.view.noise)) {
      if (o.namespace !== undefined && !k.startsWith(`${o.namespace}/`)) continue;
      noise[k] = [...new Set([...(noise[k] ?? []), ...fields])];
    }
  }
  return { differences, totals, noise, failed };
}
