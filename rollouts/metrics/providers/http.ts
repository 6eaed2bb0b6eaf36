import { Agent, request } from 'undici';

/** One outgoing request of a metric provider. */
export interface ProviderRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  url: URL;
  headers?: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  /** accept any TLS certificate (`spec.provider.insecureSkipVerify`) */
  insecureSkipVerify?: boolean;
}

export interface ProviderResponse {
  status: number;
  text: string;
}

/**
 * Send one request; a connection failure or timeout is an error naming the provider and the server. The
 * status is the caller's to judge (providers differ: Flagger's graphite fails on >= 400, the others on != 200).
 */
export async function send(provider: string, r: ProviderRequest): Promise<ProviderResponse> {
  const signal = AbortSignal.timeout(r.timeoutMs);
  const agent =
    r.insecureSkipVerify === true && r.url.protocol === 'https:'
      ? new Agent({ connect: { rejectUnauthorized: false } })
      : undefined;
  try {
    const res = await request(r.url, {
      method: r.method ?? 'GET',
      headers: r.headers ?? {},
      ...(r.body !== undefined ? { body: r.body } : {}),
      signal,
      ...(agent ? { dispatcher: agent } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  } catch (err) {
    const reason = signal.aborted
      ? `timed out after ${r.timeoutMs} ms`
      : err instanceof Error
        ? err.message || err.name
        : String(err);
    throw new Error(`${provider} request to ${r.url.origin} failed: ${reason}`);
  } finally {
    await agent?.close();
  }
}

/** Flagger's check of most providers: anything but 200 is an error quoting the answer. */
export function expectOk(provider: string, res: ProviderResponse, okStatuses: readonly number[] = [200]): string {
  if (!okStatuses.includes(res.status)) {
    throw new Error(`${provider}: error response: HTTP ${res.status}: ${res.text.trim().slice(0, 500)}`);
  }
  return res.text;
}
