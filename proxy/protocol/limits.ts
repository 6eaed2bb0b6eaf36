/**
 * The limits every listening port (outbound Service ports and the inbound port) puts on what a client
 * may send, so that a hostile or broken client costs a bounded amount of memory and time and never
 * disturbs the other clients. HTTP/1.1 limits are node:http's, HTTP/2 ones node:http2's (nghttp2), set
 * here explicitly so they are documented and testable; the proxy's answer to each is in `errors.ts`.
 */
export interface FrontLimits {
  /** the request line and headers of one request, HTTP/1.1: larger gets 431 and a close (default 16 KiB) */
  maxHeaderBytes: number;
  /** HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE` of the downstream sessions: larger header lists reset the stream (default 64 KiB) */
  maxH2HeaderListBytes: number;
  /** time to receive a request's complete headers, HTTP/1.1: 408 and a close after (default 20 s) */
  headersTimeoutMs: number;
  /** time to receive a whole request, body included, HTTP/1.1: 408 and a close after (default 300 s) */
  requestTimeoutMs: number;
  /**
   * an idle connection is closed after this long: an HTTP/1.1 keep-alive connection between requests,
   * an HTTP/2 session with no frame either way (GOAWAY; open streams may finish) (default 65 s)
   */
  idleTimeoutMs: number;
  /** HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` of the downstream sessions (default 1000) */
  maxConcurrentStreams: number;
}

export const DEFAULT_FRONT_LIMITS: Readonly<FrontLimits> = {
  maxHeaderBytes: 16 * 1024,
  maxH2HeaderListBytes: 64 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 65_000,
  maxConcurrentStreams: 1000,
};

/** `partial` over the defaults; rejects values that are not positive integers */
export function frontLimits(partial: Partial<FrontLimits> | undefined): FrontLimits {
  const limits = { ...DEFAULT_FRONT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`limits.${key}: a positive integer is wanted, got ${value}`);
  }
  // node:http requires headersTimeout <= requestTimeout
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) limits.headersTimeoutMs = limits.requestTimeoutMs;
  return limits;
}
