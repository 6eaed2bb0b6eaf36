import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { errorMessage } from './logger.js';
import { redactUrl } from './redact.js';

/** How one outgoing POST (webhook or alert) is made. */
export interface PostOptions {
  /** accept any TLS certificate (a webhook's `disableTLS`, Go's InsecureSkipVerify) */
  insecure?: boolean;
  /** an HTTP proxy URL to go through (an AlertProvider's `proxy`); HTTPS targets are tunnelled (CONNECT) */
  proxy?: string;
  /** extra request headers (an AlertProvider Secret's `token` as `Authorization: Bearer`) */
  headers?: Record<string, string>;
  /**
   * how errors name the target instead of the URL (an address read from a Secret is itself a secret);
   * default: the URL with its password and query values masked (redact.ts)
   */
  label?: string;
}

export interface PostResponse {
  status: number;
  body: string;
  /** the `Retry-After` header, when any */
  retryAfter?: string;
}

let insecureAgent: Agent | undefined;
const proxyAgents = new Map<string, ProxyAgent>();

function dispatcherFor(o: PostOptions): Dispatcher | undefined {
  if (o.proxy !== undefined && o.proxy !== '') {
    const key = `${o.insecure === true ? 'insecure ' : ''}${o.proxy}`;
    let agent = proxyAgents.get(key);
    if (agent === undefined) {
      let uri: URL;
      try {
        uri = new URL(o.proxy);
      } catch {
        throw new Error(`proxy ${JSON.stringify(o.proxy)} is not a URL`);
      }
      agent = new ProxyAgent({
        uri: uri.href,
        ...(o.insecure === true ? { requestTls: { rejectUnauthorized: false } } : {}),
      });
      proxyAgents.set(key, agent);
    }
    return agent;
  }
  if (o.insecure === true) return (insecureAgent ??= new Agent({ connect: { rejectUnauthorized: false } }));
  return undefined;
}

/** the most of an answer's body kept (the error text of a failed hook); the rest is read and dropped */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

/**
 * The body as text, at most `MAX_RESPONSE_BODY_BYTES` of it: the rest is read to the end (or until the
 * call's timeout aborts it) and thrown away, so an endless or huge answer costs bounded memory.
 */
async function boundedText(body: AsyncIterable<Buffer>): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size >= MAX_RESPONSE_BODY_BYTES) continue;
    const part = chunk.subarray(0, MAX_RESPONSE_BODY_BYTES - size);
    kept.push(part);
    size += part.length;
  }
  return Buffer.concat(kept).toString('utf8');
}

/**
 * POST a JSON body; the answer's status and text (whatever the status; at most 64 KiB of it). Throws on a connection or TLS
 * error, or when no answer came within `timeoutMs`, with a message naming the URL and the cause.
 */
export async function postJson(
  url: string,
  body: string,
  timeoutMs: number,
  options: PostOptions = {},
): Promise<PostResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  const shown = options.label ?? redactUrl(url);
  try {
    const dispatcher = dispatcherFor(options);
    const res = await request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json' },
      body,
      signal,
      ...(dispatcher !== undefined ? { dispatcher } : {}),
    });
    const text = await boundedText(res.body);
    const ra = res.headers['retry-after'];
    const retryAfter = Array.isArray(ra) ? ra[0] : ra;
    return { status: res.statusCode, body: text, ...(retryAfter ? { retryAfter } : {}) };
  } catch (err) {
    if (signal.aborted) throw new Error(`POST ${shown}: no answer within ${timeoutMs} ms`);
    const cause = (err as { cause?: unknown }).cause;
    // undici's messages may quote the URL (an invalid one): masked as well
    const message = (cause ? errorMessage(cause) : errorMessage(err)).split(url).join(shown);
    throw new Error(`POST ${shown}: ${message}`);
  }
}
