import { parseDurationMs } from '../../engine/resources/index.js';

/**
 * Built-in HTTP load for canary analysis, in place of flagger-loadtester's `hey` binary: a task generates
 * requests at a given rate against a URL for a given time, so that the canary has traffic to be measured.
 *
 * Two ways to ask for it in a webhook's metadata:
 * - `{"type": "load", "url": "http://...", "rate": "20", "duration": "1m"}` (also `method`, `concurrency`,
 *   `body`, `contentType`, `timeout`, `header.<Name>`);
 * - flagger-loadtester's `{"type": "cmd", "cmd": "hey -z 1m -q 10 -c 2 http://..."}`: a `hey` command line is
 *   parsed (no shell is involved) and run by the same generator. `-q` is per worker as in hey, so the rate is
 *   q x c.
 */
export interface LoadSpec {
  url: string;
  /** requests per second for the whole task; 0 = as fast as `concurrency` workers go */
  rate: number;
  /** how long; undefined = until `requests` were sent */
  durationMs?: number;
  /** how many requests in all (hey `-n`) when there is no duration */
  requests?: number;
  concurrency: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** per request */
  timeoutMs: number;
}

export class LoadSpecError extends Error {}

const MAX_CONCURRENCY = 256;

/** shell-like words: spaces separate, single and double quotes group, backslash escapes (no expansion) */
export function splitWords(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new LoadSpecError(`unterminated ${quote} in command`);
  if (inWord) out.push(cur);
  return out;
}

function positive(value: string | undefined, what: string, def: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new LoadSpecError(`${what}: expected a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

function duration(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 0)
    throw new LoadSpecError(`${what}: expected a non-negative duration like 30s or 1m, got ${JSON.stringify(value)}`);
  return ms;
}

function checkUrl(url: string | undefined): string {
  if (!url) throw new LoadSpecError('a url is required');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LoadSpecError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LoadSpecError(`not an http(s) URL: ${url}`);
  return url;
}

/** `{"type": "load", ...}` metadata */
export function parseLoadMetadata(m: Record<string, string>): LoadSpec {
  const rate = positive(m.rate, 'rate', 10);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith('header.')) headers[k.slice('header.'.length)] = v;
  if (m.contentType) headers['content-type'] = m.contentType;
  const durationMs = duration(m.duration, 'duration') ?? 60_000;
  const concurrency = Math.min(
    MAX_CONCURRENCY,
    Math.max(1, Math.round(positive(m.concurrency, 'concurrency', Math.max(2, Math.ceil(rate / 5))))),
  );
  return {
    url: checkUrl(m.url),
    rate,
    durationMs,
    concurrency,
    method: (m.method ?? (m.body ? 'POST' : 'GET')).toUpperCase(),
    headers,
    ...(m.body !== undefined ? { body: m.body } : {}),
    timeoutMs: duration(m.timeout, 'timeout') ?? 10_000,
  };
}

/** a `hey` command line (https://github.com/rakyll/hey flags), parsed without a shell */
export function parseHeyCommand(cmd: string): LoadSpec {
  const words = splitWords(cmd);
  if (words[0] !== 'hey') throw new LoadSpecError(`not a hey command: ${cmd}`);
  let n = 200;
  let c = 50;
  let q = 0;
  let z: number | undefined;
  let method = 'GET';
  let body: string | undefined;
  let timeoutMs = 20_000;
  const headers: Record<string, string> = {};
  let url: string | undefined;
  const noValue = new Set(['-h2', '-disable-compression', '-disable-keepalive', '-disable-redirects']);
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-')) {
      url = w;
      continue;
    }
    if (noValue.has(w)) continue;
    const v = words[++i];
    if (v === undefined) throw new LoadSpecError(`hey: ${w} needs a value`);
    switch (w) {
      case '-n':
        n = positive(v, '-n', 200);
        break;
      case '-c':
        c = positive(v, '-c', 50);
        break;
      case '-q':
        q = positive(v, '-q', 0);
        break;
      case '-z':
        z = duration(v, '-z');
        break;
      case '-m':
        method = v.toUpperCase();
        break;
      case '-H': {
        const idx = v.indexOf(':');
        if (idx <= 0) throw new LoadSpecError(`hey: -H wants "Name: value", got ${JSON.stringify(v)}`);
        headers[v.slice(0, idx).trim()] = v.slice(idx + 1).trim();
        break;
      }
      case '-d':
        body = v;
        break;
      case '-T':
        headers['content-type'] = v;
        break;
      case '-A':
        headers.accept = v;
        break;
      case '-t':
        timeoutMs = positive(v, '-t', 20) * 1000 || 20_000;
        break;
      case '-host':
        headers.host = v;
        break;
      case '-a': {
        const idx = v.indexOf(':');
        headers.authorization = `Basic ${Buffer.from(idx < 0 ? v : `${v.slice(0, idx)}:${v.slice(idx + 1)}`).toString('base64')}`;
        break;
      }
      case '-o':
      case '-cpus':
      case '-x':
        break;
      default:
        throw new LoadSpecError(`hey: unsupported flag ${w}`);
    }
  }
  const concurrency = Math.min(MAX_CONCURRENCY, Math.max(1, Math.round(c)));
  return {
    url: checkUrl(url),
    rate: q * concurrency,
    ...(z !== undefined ? { durationMs: z } : { requests: Math.max(1, Math.round(n)) }),
    concurrency,
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    timeoutMs,
  };
}

export interface LoadStats {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
}

/** One load task: `concurrency` workers sharing one rate schedule; stops at the deadline, count, or stop(). */
export class LoadGenerator {
  readonly stats: LoadStats = { sent: 0, ok: 0, errors: 0, statuses: {} };
  readonly done: Promise<void>;
  private stopped = false;
  private nextSlot = 0;
  private readonly controllers = new Set<AbortController>();
  private readonly wake = new Set<() => void>();

  constructor(readonly spec: LoadSpec) {
    const startedAt = Date.now();
    const deadline = spec.durationMs !== undefined ? startedAt + spec.durationMs : Infinity;
    this.nextSlot = startedAt;
    const workers: Promise<void>[] = [];
    for (let i = 0; i < spec.concurrency; i++) workers.push(this.worker(deadline));
    this.done = Promise.all(workers).then(() => undefined);
  }

  stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.controllers) c.abort();
    for (const w of [...this.wake]) w();
    return this.done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  private async worker(deadline: number): Promise<void> {
    const { spec } = this;
    for (;;) {
      if (this.stopped) return;
      if (spec.requests !== undefined && this.stats.sent >= spec.requests) return;
      if (spec.rate > 0) {
        const slot = Math.max(Date.now(), this.nextSlot);
        this.nextSlot = slot + 1000 / spec.rate;
        if (slot >= deadline) return;
        const wait = slot - Date.now();
        if (wait > 0) await this.sleep(wait);
        if (this.stopped) return;
      }
      if (Date.now() >= deadline) return;
      this.stats.sent++;
      await this.once();
    }
  }

  private async once(): Promise<void> {
    const ac = new AbortController();
    this.controllers.add(ac);
    const timer = setTimeout(() => ac.abort(), this.spec.timeoutMs);
    try {
      const res = await fetch(this.spec.url, {
        method: this.spec.method,
        headers: this.spec.headers,
        ...(this.spec.body !== undefined ? { body: this.spec.body } : {}),
        signal: ac.signal,
      });
      await res.arrayBuffer();
      const k = String(res.status);
      this.stats.statuses[k] = (this.stats.statuses[k] ?? 0) + 1;
      if (res.status < 400) this.stats.ok++;
      else this.stats.errors++;
    } catch {
      this.stats.errors++;
      this.stats.statuses.error = (this.stats.statuses.error ?? 0) + 1;
    } finally {
      clearTimeout(timer);
      this.controllers.delete(ac);
    }
  }
}
