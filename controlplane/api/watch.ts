import type { Request, Response } from 'express';
import type { KindInfo, KubeObject } from '../../engine/resources/index.js';
import { objectKey } from '../store/memory-store.js';
import { EXPIRED, type ResourceStore, type WatchEvent } from '../store/resource-store.js';
import { ApiStatusError } from './status.js';
import { toTable } from './table.js';
import type { Matcher } from './selectors.js';

export interface WatchRequest {
  info: KindInfo;
  namespace?: string;
  matches: Matcher;
  /** absent or "0": the current objects first as ADDED, then every change */
  resourceVersion?: string;
  bookmarks: boolean;
  /** `sendInitialEvents=true`: a bookmark annotated `k8s.io/initial-events-end` after the current objects */
  initialEventsEnd: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
  table?: { includeObject?: string };
  present: (o: KubeObject) => KubeObject;
}

type Out = { type: string; object: unknown };

/**
 * A watch as the API server streams it: one JSON event per line (ADDED, MODIFIED, DELETED, BOOKMARK,
 * ERROR). An object that stops matching the selectors is reported DELETED, one that starts ADDED. A
 * resourceVersion older than the store's history gets an ERROR event with a 410 `Expired` Status, as
 * the watch cache answers, and the client relists.
 */
export function serveWatch(store: ResourceStore, req: Request, res: Response, w: WatchRequest): void {
  const { info } = w;
  const inScope = (o: KubeObject) =>
    o.kind === info.kind && (w.namespace === undefined || o.metadata.namespace === w.namespace);
  const visible = new Set<string>();
  const key = (o: KubeObject) => objectKey(o.kind, o.metadata.namespace, o.metadata.name);
  let closed = false;
  const queue: WatchEvent[] = [];

  res.status(200);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();

  const write = (e: Out): void => {
    if (closed) return;
    const object =
      w.table && e.type !== 'BOOKMARK' && e.type !== 'ERROR'
        ? toTable(info, [e.object as KubeObject], {}, w.table.includeObject)
        : e.object;
    res.write(JSON.stringify({ type: e.type, object }) + '\n');
  };
  const deliver = (e: WatchEvent): void => {
    if (!inScope(e.object)) return;
    const k = key(e.object);
    const was = visible.has(k);
    const now = e.type !== 'DELETED' && w.matches(e.object);
    if (now) visible.add(k);
    else visible.delete(k);
    if (was && now) write({ type: 'MODIFIED', object: w.present(e.object) });
    else if (!was && now) write({ type: 'ADDED', object: w.present(e.object) });
    else if (was && !now) write({ type: 'DELETED', object: w.present(e.object) });
  };
  // subscribe before reading, synchronously, so that no change falls between the two
  let started = false;
  const unsubscribe = store.watch((e) => {
    if (started) deliver(e);
    else queue.push(e);
  });
  const bookmark = (annotations?: Record<string, string>) =>
    write({
      type: 'BOOKMARK',
      object: {
        kind: info.kind,
        apiVersion: info.group === '' ? info.version : `${info.group}/${info.version}`,
        metadata: { resourceVersion: store.currentVersion(), ...(annotations ? { annotations } : {}) },
      },
    });

  const finish = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
  const timeoutTimer = setTimeout(finish, w.timeoutMs);
  const bookmarkTimer = setInterval(() => {
    if (w.bookmarks) bookmark();
  }, w.bookmarkIntervalMs);
  bookmarkTimer.unref();

  const rv = w.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') {
    for (const o of store.list(info.kind, w.namespace)) {
      if (!w.matches(o)) continue;
      visible.add(key(o));
      write({ type: 'ADDED', object: w.present(o) });
    }
    if (w.initialEventsEnd && w.bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const changes = store.changesSince(rv);
    if (changes === EXPIRED) {
      const gone = new ApiStatusError(410, 'Expired', `too old resource version: ${rv} (${store.currentVersion()})`);
      write({ type: 'ERROR', object: gone.toStatus() });
      finish();
      return;
    }
    // what the client saw at `rv`: everything in scope then that matched (changes since are replayed)
    const seen = new Map<string, KubeObject>();
    for (const o of store.list(info.kind, w.namespace)) seen.set(key(o), o);
    for (const e of [...changes].reverse()) {
      if (!inScope(e.object)) continue;
      seen.delete(key(e.object));
    }
    for (const [k, o] of seen) if (w.matches(o)) visible.add(k);
    // objects changed since rv: their state at rv is unknown here, so the first event decides
    const firstSeen = new Set<string>();
    for (const e of changes) {
      if (!inScope(e.object)) continue;
      const k = key(e.object);
      if (!firstSeen.has(k)) {
        firstSeen.add(k);
        if (e.type !== 'ADDED' && w.matches(e.object)) visible.add(k);
        if (e.type === 'DELETED') visible.add(k);
      }
      deliver(e);
    }
  }
  started = true;
  for (const e of queue.splice(0)) deliver(e);
}
