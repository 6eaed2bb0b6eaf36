import { describe, expect, it } from 'vitest';
import {
  classify,
  ERR_IO,
  ERR_RESET,
  ERR_RESPONSE_HEADERS_TIMEOUT,
  ERR_UNEXPECTED,
  exhausted,
  REQUEST_TIMEOUT_ERROR,
  BACKEND_REQUEST_TIMEOUT_ERROR,
  RETRY_ANY,
  RETRY_IDEMPOTENT,
  RETRY_NEVER,
  ROUTE_ERRORS,
} from '../../proxy/errors.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** The failure table (proxy/errors.ts): one classification for HTTP/1.1 and HTTP/2, by code, never by text. */
describe('classify: every upstream failure once', () => {
  it.each([
    ['ECONNREFUSED', 0, 502, 'connection refused', ERR_IO, RETRY_ANY],
    ['EHOSTUNREACH', 0, 502, 'connect failed (EHOSTUNREACH)', ERR_IO, RETRY_ANY],
    ['ECONNRESET', 0, 502, 'connection reset', ERR_RESET, RETRY_IDEMPOTENT],
    ['UND_ERR_SOCKET', 0, 502, 'connection reset', ERR_RESET, RETRY_IDEMPOTENT],
    ['UND_ERR_CONNECT_TIMEOUT', 0, 504, 'connect timeout', ERR_RESPONSE_HEADERS_TIMEOUT, RETRY_ANY],
    ['UND_ERR_HEADERS_TIMEOUT', 0, 504, 'response timeout', ERR_RESPONSE_HEADERS_TIMEOUT, RETRY_IDEMPOTENT],
    ['UND_ERR_CLOSED', 0, 503, 'endpoint closed', ERR_UNEXPECTED, RETRY_ANY],
    ['ERR_HTTP2_GOAWAY_SESSION', 0, 503, 'stream refused by the endpoint', ERR_IO, RETRY_ANY],
    ['ERR_HTTP2_STREAM_ERROR', 2, 502, 'stream reset by the endpoint (code 2)', ERR_RESET, RETRY_IDEMPOTENT],
    ['ERR_HTTP2_SESSION_ERROR', 0, 502, 'connection reset', ERR_RESET, RETRY_IDEMPOTENT],
    ['WEIR_TLS_IDENTITY_MISMATCH', 0, 502, 'server identity mismatch', ERR_IO, RETRY_ANY],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0, 502, 'server certificate not trusted', ERR_IO, RETRY_ANY],
    ['CERT_HAS_EXPIRED', 0, 502, 'server certificate not trusted', ERR_IO, RETRY_ANY],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 0, 502, 'tls handshake failed', ERR_IO, RETRY_ANY],
  ])('%s (rst %i): %i %s', (code, rst, status, reason, error, retry) => {
    expect(classify(coded(code), rst)).toMatchObject({ status, reason, error, retry });
  });

  it('a stream the endpoint refused or reset without an error, or closed early', () => {
    expect(classify(undefined, 7 /* REFUSED_STREAM */)).toMatchObject({ status: 503, retry: RETRY_ANY });
    expect(classify(undefined, 2)).toMatchObject({ status: 502, error: ERR_RESET, retry: RETRY_IDEMPOTENT });
    expect(classify(undefined, 0)).toMatchObject({ status: 502, reason: 'stream closed by the endpoint' });
  });

  it('a stream cancelled because its session failed to connect is that connect failure', () => {
    const err = Object.assign(coded('ERR_HTTP2_STREAM_CANCEL'), { cause: coded('ECONNREFUSED') });
    expect(classify(err)).toMatchObject({ status: 502, reason: 'connection refused', retry: RETRY_ANY });
  });

  it('the route timeouts keep their own failure, whatever their message says', () => {
    expect(classify(REQUEST_TIMEOUT_ERROR)).toMatchObject({
      status: 504,
      reason: 'request timeout',
      retry: RETRY_NEVER,
    });
    expect(classify(BACKEND_REQUEST_TIMEOUT_ERROR)).toMatchObject({ status: 504, retry: RETRY_IDEMPOTENT });
    // the same message on another error is not a timeout: nothing is recognised by its text
    expect(classify(new Error('request timeout'))).toMatchObject({ status: 502, retry: RETRY_NEVER });
  });

  it('an mTLS failure of an h2 session reaches its queued streams as that failure, and stays 502 once retried', () => {
    const cancelled = Object.assign(new Error('cancelled'), {
      code: 'ERR_HTTP2_STREAM_CANCEL',
      cause: coded('WEIR_TLS_IDENTITY_MISMATCH'),
    });
    expect(classify(cancelled)).toMatchObject({ status: 502, reason: 'server identity mismatch' });
    expect(exhausted(classify(coded('SELF_SIGNED_CERT_IN_CHAIN'))).status).toBe(502);
  });

  it('once retries are used up, a connection-level failure answers 503; a timeout stays 504', () => {
    expect(exhausted(classify(coded('ECONNREFUSED'))).status).toBe(503);
    expect(exhausted(classify(coded('ECONNRESET'))).status).toBe(503);
    expect(exhausted(classify(coded('UND_ERR_HEADERS_TIMEOUT'))).status).toBe(504);
  });

  it("every route error label is one of Linkerd's", () => {
    const f = classify(coded('ECONNRESET'));
    expect(ROUTE_ERRORS[f.error]).toBe('RESET');
  });
});
