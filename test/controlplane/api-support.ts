import { startHttpApi, type HttpApi, type HttpApiOptions } from '../../controlplane/api/http-api.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';

export interface Reply {
  status: number;
  body: Record<string, unknown> & { metadata?: Record<string, unknown>; items?: Array<Record<string, unknown>> };
  headers: Headers;
}

/** An API over a fresh MemoryStore on 127.0.0.1:0, and a tiny JSON client for it. */
export async function apiOverMemory(options: Partial<HttpApiOptions> = {}) {
  const store = new MemoryStore();
  const api: HttpApi = await startHttpApi({ store, ...options });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await fetch(api.url + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Reply['body']), headers: res.headers };
  };
  return { store, api, call };
}

export interface WatchEventLine {
  type: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

/**
 * Open a watch and collect its events until `until` says enough (or the server ends the stream);
 * bounded by `timeoutMs`. `during` runs once the stream is open.
 */
export async function collectWatch(
  url: string,
  until: (events: WatchEventLine[]) => boolean,
  during: () => Promise<void> = async () => {},
  timeoutMs = 5_000,
): Promise<WatchEventLine[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: WatchEventLine[] = [];
  try {
    const res = await fetch(url, { signal: ac.signal });
    if (res.status !== 200) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.getReader();
    const duringDone = during();
    let buf = '';
    for (;;) {
      if (until(events)) break;
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) events.push(JSON.parse(line) as WatchEventLine);
      }
    }
    await duringDone;
    ac.abort();
    return events;
  } catch (err) {
    if (ac.signal.aborted && events.length > 0 && until(events)) return events;
    throw new Error(`watch ${url}: ${String(err)}; got ${JSON.stringify(events.map((e) => e.type))}`);
  } finally {
    clearTimeout(timer);
  }
}
