import { constants, type OutgoingHttpHeaders } from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { MirrorSender } from '../mirror.js';
import type { Endpoint } from '../targets.js';
import type { H2Clients, H2Lease } from './client.js';

const { NGHTTP2_CANCEL } = constants;
/** frozen: node's copy of them takes no slow path (see the options in h2/forward.ts) */
const NO_BODY = Object.freeze({ endStream: true, waitForTrailers: false });
const WITH_BODY = Object.freeze({ endStream: false, waitForTrailers: true });

/** What an HTTP/2 copy needs of an endpoint: its address, its h2c client (made on first use), the balancer's release. */
export type H2MirrorEndpoint = Pick<Endpoint, 'endpoint' | 'serverId' | 'h2' | 'done'>;

/**
 * RequestMirror over HTTP/2 (mirror.ts says what a copy is): one copy, as a new stream on the mirror
 * endpoint's own pooled h2c sessions. The reply is read and thrown away, errors are ignored, the copy
 * is cancelled after the sender's timeout, and copies share the sender's in-flight bound, so the client's
 * stream never waits for or hears of a mirror. `body` is the whole (buffered) request body, null for none.
 * The balancer hears of the copy (its rtt) without a success/failure verdict.
 */
export function sendH2Mirror(
  sender: MirrorSender,
  clients: H2Clients,
  t: { readonly balancer: { pick(): H2MirrorEndpoint | undefined } },
  headers: OutgoingHttpHeaders,
  body: Buffer | null,
  trailers: OutgoingHttpHeaders | undefined,
): void {
  const ep = sender.take(t);
  if (ep === undefined) return;
  const client = (ep.h2 ??= clients.get(ep.endpoint.address, ep.endpoint.port, ep.serverId));
  const sent = performance.now();
  let lease: H2Lease | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    if (lease !== undefined) client.release(lease);
    sender.settle();
    ep.done(performance.now() - sent, undefined);
  };
  try {
    lease = client.acquire();
    const up = lease.session.request(headers, body === null ? NO_BODY : WITH_BODY);
    timer = setTimeout(() => {
      if (!up.destroyed) up.close(NGHTTP2_CANCEL);
    }, sender.timeoutMs);
    up.on('error', noop);
    up.on('close', finish);
    up.resume();
    if (body !== null) {
      up.on('wantTrailers', () => {
        if (!up.destroyed) up.sendTrailers(trailers ?? {});
      });
      up.end(body);
    }
  } catch {
    finish();
  }
}

function noop(): void {}
