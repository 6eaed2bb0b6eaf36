import type { HookResult } from '../engine/canary/index.js';
import { fnv32a, getAnalysis, parseIntervalMs, safeEncodeString, stableStringify } from '../engine/canary/index.js';
import type { Canary, CanaryPhase, CanaryWebhook, WebhookType } from '../engine/resources/index.js';
import { errorMessage } from './logger.js';

/** Calls the hooks of one type of a canary, in spec order (reference 4). */
export interface WebhookRunner {
  run(canary: Canary, type: WebhookType, phase: CanaryPhase | undefined): Promise<HookResult[]>;
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

export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata?: Record<string, string>;
}

/**
 * Flagger's HTTP contract (reference 4.2): `POST` the JSON payload; success = status <= 202; the body is the
 * error text otherwise; per-attempt timeout `timeout` (default 10s). Hooks of a type run in order and the
 * first failure stops the run; `rollback` hooks stop at the first success ("roll back now").
 * Retries, TLS options and event hooks are for the next issue.
 */
export class HttpWebhookRunner implements WebhookRunner {
  constructor(
    private readonly post: (
      url: string,
      body: string,
      timeoutMs: number,
    ) => Promise<{ status: number; body: string }> = httpPost,
  ) {}

  async run(canary: Canary, type: WebhookType, phase: CanaryPhase | undefined): Promise<HookResult[]> {
    const hooks = (getAnalysis(canary)?.webhooks ?? []).filter((w) => w.type === type);
    const out: HookResult[] = [];
    for (const hook of hooks) {
      const r = await this.call(canary, hook, phase);
      out.push(r);
      if (type === 'rollback' ? r.ok : !r.ok) break;
    }
    return out;
  }

  private async call(canary: Canary, hook: CanaryWebhook, phase: CanaryPhase | undefined): Promise<HookResult> {
    const payload: WebhookPayload = {
      name: canary.metadata.name,
      namespace: canary.metadata.namespace,
      phase: phase ?? '',
      checksum: canaryChecksum(canary),
      ...(hook.metadata ? { metadata: hook.metadata } : {}),
    };
    const timeoutMs = hook.timeout && hook.timeout.length >= 2 ? parseIntervalMs(hook.timeout, 10_000) : 10_000;
    try {
      const res = await this.post(hook.url, JSON.stringify(payload), timeoutMs);
      if (res.status > 202) return { name: hook.name, ok: false, message: res.body || `HTTP ${res.status}` };
      return { name: hook.name, ok: true };
    } catch (err) {
      return { name: hook.name, ok: false, message: errorMessage(err) };
    }
  }
}

async function httpPost(url: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: ac.signal,
    });
    return { status: res.status, body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
