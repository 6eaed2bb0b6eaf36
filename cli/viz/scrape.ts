import { parsePromText, type PromSample } from '../../engine/analysis/index.js';
import type { Pod } from '../../engine/resources/index.js';
import { adminOf, podKey } from './workloads.js';

const SCRAPE_TIMEOUT_MS = 5_000;

/** Each meshed pod's metrics (`/metrics` on its sidecar's admin port) at one instant, by `NS/POD`. */
export interface Scrape {
  /** `performance.now()`-like milliseconds when the scrapes were sent */
  at: number;
  samples: Map<string, PromSample[]>;
  /** pods whose sidecar did not answer, with why */
  failed: Map<string, string>;
}

export async function scrapePods(pods: readonly Pod[]): Promise<Scrape> {
  const at = performance.now();
  const samples = new Map<string, PromSample[]>();
  const failed = new Map<string, string>();
  await Promise.all(
    pods.map(async (pod) => {
      const admin = adminOf(pod);
      if (admin === undefined) return;
      try {
        const res = await fetch(`http://${admin}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        samples.set(podKey(pod), parsePromText(await res.text()).samples);
      } catch (err) {
        failed.set(podKey(pod), err instanceof Error ? err.message : String(err));
      }
    }),
  );
  return { at, samples, failed };
}
