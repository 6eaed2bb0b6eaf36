import type { KindInfo, KubeObject } from '../engine/resources/index.js';
import { kubePathOf } from '../controlplane/api/kube-paths.js';
import { ApiClient, queryString, type ListQuery } from './api-client.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchOptions extends ListQuery {
  client: ApiClient;
  info: KindInfo;
  /** undefined: all namespaces */
  namespace?: string;
  /** the list's resourceVersion: changes after it are reported */
  resourceVersion: string;
  /** each change of an object in scope */
  onEvent: (type: WatchEventType, object: KubeObject) => void;
  /** after a 410 Gone (the version is older than what the API keeps): the objects as they are now */
  onRelist?: (items: KubeObject[]) => void;
  /** ends the watch (the promise resolves) */
  signal: AbortSignal;
  /** how long one watch request lasts before it is made again (default 60 s) */
  requestSeconds?: number;
  /** consecutive failed connections before giving up (default 5, waiting 0.5 s, 1 s, 2 s... between them) */
  maxFailures?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Follow a Kubernetes watch of the Weir API until `signal` aborts: one request at a time, each bounded by
 * `timeoutSeconds`, made again from the last resourceVersion seen when it ends; a 410 Gone relists. Throws
 * after `maxFailures` connections in a row fail (the API is gone).
 */
export async function followWatch(o: WatchOptions): Promise<void> {
  let rv = o.resourceVersion;
  let failures = 0;
  const maxFailures = o.maxFailures ?? 5;
  while (!o.signal.aborted) {
    const path =
      kubePathOf(o.info, o.namespace) +
      queryString({
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: rv,
        timeoutSeconds: String(o.requestSeconds ?? 60),
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
      });
    let gone = false;
    try {
      const res = await o.client.send('GET', path, undefined, o.signal);
      if (!res.ok) throw await ApiClient.errorOf(res);
      failures = 0;
      for await (const line of lines(res.body)) {
        const e = JSON.parse(line) as { type: string; object: KubeObject & { code?: number } };
        if (e.type === 'ERROR') {
          if (e.object.code === 410) gone = true;
          else throw new Error(`watch error: ${JSON.stringify(e.object)}`);
          break;
        }
        const version = e.object.metadata?.resourceVersion;
        if (version) rv = version;
        if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') o.onEvent(e.type, e.object);
      }
    } catch (err) {
      if (o.signal.aborted) return;
      if (++failures >= maxFailures) throw err;
      await sleep(Math.min(500 * 2 ** (failures - 1), 5_000), o.signal);
      continue;
    }
    if (gone) {
      const list = await o.client.listWithVersion(o.info.kind, o.namespace, {
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
      });
      rv = list.resourceVersion;
      o.onRelist?.(list.items);
    }
  }
}

/** the lines of a response body, as they arrive */
export async function* lines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield line;
    }
  }
  if (buf.trim() !== '') yield buf.trim();
}
