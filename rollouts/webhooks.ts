import type { CanaryEvent, HookResult } from '../engine/canary/index.js';
import { fnv32a, getAnalysis, parseIntervalMs, safeEncodeString, stableStringify } from '../engine/canary/index.js';
import type { Canary, CanaryPhase, CanaryWebhook, WebhookType } from '../engine/resources/index.js';
import { postJson, type PostOptions, type PostResponse } from './http-post.js';
import { errorMessage } from './logger.js';

/** Calls the hooks of one type of a canary, in spec order (reference 4). */
export interface WebhookRunner {
  run(canary: Canary, type: WebhookType, phase: CanaryPhase | undefined): Promise<HookResult[]>;
  /** post one event to every `event` hook of the canary (Flagger `sendEventToWebhook`) */
  event?(canary: Canary, event: CanaryEvent, at: Date): Promise<HookResult[]>;
}

/** Flagger `canaryChecksum`: identifies the revision under test (`lastAppliedSpec` + `trackedConfigs`). */
export function canaryChecksum(canary: Canary): string {
  return safeEncodeString(
    String(
      fnv32a(
        stableStringify({
          lastAppliedSpec: canary.status?.lastAppliedSpec ?? '',
          trackedConfigs: canary.status?.trackedConfigs ?? {},
        }),
      ),
    ),
  );
}

/** Flagger's `CanaryWebhookPayload`. */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata?: Record<string, string>;
}

export type { PostResponse };

export type PostFn = (url: string, body: string, timeoutMs: number, options?: PostOptions) => Promise<PostResponse>;

export interface HttpWebhookRunnerOptions {
  post?: PostFn;
  /** how retries wait (tests pass a fake) */
  sleep?: (ms: number) => Promise<void>;
  /** go-retryablehttp's defaults: 1 s doubling up to 30 s */
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** Flagger: `timeout` shorter than 2 characters (or absent) means 10s; it bounds each attempt. */
export function webhookTimeoutMs(hook: Pick<CanaryWebhook, 'timeout'>): number {
  return hook.timeout && hook.timeout.length >= 2
    ? parseIntervalMs(hook.timeout, DEFAULT_WEBHOOK_TIMEOUT_MS)
    : DEFAULT_WEBHOOK_TIMEOUT_MS;
}

/** go-retryablehttp `DefaultRetryPolicy`: transport errors, 429, status 0 and 5xx except 501. */
export function isRetriableStatus(status: number): boolean {
  return status === 0 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * Flagger's HTTP contract (reference 4.2): `POST` the JSON payload with `Content-Type: application/json`;
 * the response body is the error text on failure; `timeout` (default 10s) bounds each attempt; `retries`
 * more attempts on connection errors, timeouts, 429 and 5xx (not 501), waiting 1s, 2s, 4s... (at most 30s;
 * `Retry-After` honoured on 429/503) as go-retryablehttp does. Hooks of a type run in order and the first
 * failure stops the run; `rollback` hooks stop at the first success ("roll back now").
 *
 * Weir difference: any 2xx is success (Flagger fails 203-299 because it tests `status > 202`), and a retried
 * 5xx keeps its body in the error ("giving up after 3 attempt(s): HTTP 503 busy").
 */
export class HttpWebhookRunner implements WebhookRunner {
  private readonly post: PostFn;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly minMs: number;
  private readonly maxMs: number;

  constructor(options: PostFn | HttpWebhookRunnerOptions = {}) {
    const o = typeof options === 'function' ? { post: options } : options;
    this.post = o.post ?? postJson;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.minMs = o.backoffMinMs ?? 1_000;
    this.maxMs = o.backoffMaxMs ?? 30_000;
  }

  async run(canary: Canary, type: WebhookType, phase: CanaryPhase | undefined): Promise<HookResult[]> {
    const hooks = (getAnalysis(canary)?.webhooks ?? []).filter((w) => w.type === type);
    const out: HookResult[] = [];
    for (const hook of hooks) {
      const r = await this.call(hook, payloadOf(canary, phase, hook.metadata));
      out.push(r);
      if (type === 'rollback' ? r.ok : !r.ok) break;
    }
    return out;
  }

  /**
   * Flagger `CallEventWebhook`: every `event` hook gets the event as `metadata.eventMessage`, `eventType`
   * (Normal|Warning) and `timestamp` (Unix ms); the hook's own metadata is added but cannot override those.
   */
  async event(canary: Canary, event: CanaryEvent, at: Date): Promise<HookResult[]> {
    const hooks = (getAnalysis(canary)?.webhooks ?? []).filter((w) => w.type === 'event');
    const out: HookResult[] = [];
    for (const hook of hooks) {
      const metadata: Record<string, string> = {
        ...hook.metadata,
        eventMessage: event.message,
        eventType: event.type,
        timestamp: String(at.getTime()),
      };
      out.push(await this.call(hook, payloadOf(canary, canary.status?.phase, metadata)));
    }
    return out;
  }

  private async call(hook: CanaryWebhook, payload: WebhookPayload): Promise<HookResult> {
    const timeoutMs = webhookTimeoutMs(hook);
    const retries = Math.max(0, hook.retries ?? 0);
    const body = JSON.stringify(payload);
    let last = '';
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await this.post(hook.url, body, timeoutMs, hook.disableTLS === true ? { insecure: true } : {});
        if (res.status >= 200 && res.status < 300) return { name: hook.name, ok: true };
        last = res.body || `HTTP ${res.status}`;
        if (!isRetriableStatus(res.status)) return { name: hook.name, ok: false, message: last };
        if (retries > 0) last = `HTTP ${res.status}${res.body ? ` ${res.body}` : ''}`;
        if ((res.status === 429 || res.status === 503) && res.retryAfter && /^\d+$/.test(res.retryAfter.trim())) {
          retryAfterMs = Number(res.retryAfter.trim()) * 1000;
        }
      } catch (err) {
        last = errorMessage(err);
      }
      if (attempt >= retries) {
        const message = retries > 0 ? `giving up after ${attempt + 1} attempt(s): ${last}` : last;
        return { name: hook.name, ok: false, message };
      }
      await this.sleep(retryAfterMs ?? Math.min(this.maxMs, this.minMs * 2 ** attempt));
    }
  }
}

function payloadOf(
  canary: Canary,
  phase: CanaryPhase | undefined,
  metadata: Record<string, string> | undefined,
): WebhookPayload {
  return {
    name: canary.metadata.name,
    namespace: canary.metadata.namespace,
    phase: phase ?? '',
    checksum: canaryChecksum(canary),
    ...(metadata ? { metadata } : {}),
  };
}
