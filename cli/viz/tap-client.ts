import type { Pod } from '../../engine/resources/index.js';
import type { TapEvent } from '../../proxy/tap/event.js';
import { adminOf, podKey } from './workloads.js';

export interface FanInOptions {
  /** the pods to tap now (asked again every `refreshMs`: pods come and go during a rollout) */
  pods: () => Promise<Pod[]>;
  /** `?path=...&method=...` for every sidecar's `/tap` */
  query: string;
  /** `stream`: which tap connection (1, 2, ... in the order they were opened), for request ids */
  onEvent: (event: TapEvent, stream: number) => void;
  onWarning: (message: string) => void;
  signal: AbortSignal;
  refreshMs?: number;
}

/**
 * Taps every meshed pod of the target at once (`GET /tap` on each sidecar's admin port) and hands over
 * their events as they arrive, until `signal` aborts. Every `refreshMs` the pods are listed again: a new
 * pod is tapped, a gone one's stream closed, and a stream that ended (its sidecar restarted) reopened.
 */
export async function fanInTaps(o: FanInOptions): Promise<void> {
  const open = new Map<string, AbortController>();
  let streams = 0;
  const tap = (pod: Pod, admin: string): void => {
    const key = podKey(pod);
    const ac = new AbortController();
    open.set(key, ac);
    const n = ++streams;
    const stop = () => ac.abort();
    o.signal.addEventListener('abort', stop, { once: true });
    void (async () => {
      try {
        const res = await fetch(`http://${admin}/tap${o.query}`, { signal: ac.signal });
        if (!res.ok || res.body === null) {
          o.onWarning(`pod ${key}: tap refused: HTTP ${res.status} ${(await res.text()).trim()}`);
          return;
        }
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line !== '') o.onEvent(JSON.parse(line) as TapEvent, n);
          }
        }
      } catch (err) {
        if (!ac.signal.aborted)
          o.onWarning(`pod ${key}: tap ended: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        o.signal.removeEventListener('abort', stop);
        if (open.get(key) === ac) open.delete(key);
      }
    })();
  };
  const refresh = async (): Promise<void> => {
    const pods = await o.pods();
    const now = new Set<string>();
    for (const p of pods) {
      const admin = adminOf(p);
      if (admin === undefined) continue;
      now.add(podKey(p));
      if (!open.has(podKey(p))) tap(p, admin);
    }
    for (const [key, ac] of open) {
      if (!now.has(key)) {
        ac.abort();
        open.delete(key);
      }
    }
  };
  while (!o.signal.aborted) {
    try {
      await refresh();
    } catch (err) {
      o.onWarning(`listing pods: ${err instanceof Error ? err.message : String(err)}`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.refreshMs ?? 2_000);
      o.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
  for (const ac of open.values()) ac.abort();
}

/** the query string of a tap filter */
export function tapQuery(f: { path?: string; method?: string; authority?: string }): string {
  const q = new URLSearchParams();
  if (f.path !== undefined) q.set('path', f.path);
  if (f.method !== undefined) q.set('method', f.method);
  if (f.authority !== undefined) q.set('authority', f.authority);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
