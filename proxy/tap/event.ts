/**
 * What a tap stream carries (one JSON object per line), after Linkerd's `Tap.Observe` events: a
 * `request` event when a request's headers arrive at the proxy and a `response` event when its response
 * has ended (or the proxy answered or cut it), both with the whole request's description so that either
 * can be read alone. `dropped` says that `count` events were left out because the tapper read too slowly.
 */

/** one end of a request: an address, and the mesh identity it proved (mTLS) */
export interface TapPeer {
  /** `host:port` when known */
  address?: string;
  /** `SA.NS.serviceaccount.identity.weir.cluster.local`; absent: no identity proven (plaintext) */
  identity?: string;
  /** the workload, when the proxy knows it */
  namespace?: string;
  deployment?: string;
  pod?: string;
  /** outbound: the Service (`NS/NAME:PORT`) the request was sent to */
  service?: string;
}

export interface TapRequestEvent {
  type: 'request';
  /** per proxy process, increasing; with `pod` it names the request */
  id: number;
  /** epoch milliseconds when the request's headers arrived */
  timestamp: number;
  /** `inbound`: to the pod's app; `outbound`: from the pod's app to a Service */
  direction: 'inbound' | 'outbound';
  /** the tapped proxy's workload */
  namespace?: string;
  deployment?: string;
  pod?: string;
  method: string;
  authority?: string;
  path: string;
  /** mutual TLS on the hop this proxy sees (inbound: from the client; outbound: to the endpoint) */
  tls: boolean;
  src: TapPeer;
  dst: TapPeer;
}

export interface TapResponseEvent extends Omit<TapRequestEvent, 'type'> {
  type: 'response';
  /** the HTTP status the client got; 0: none (the request was cancelled or the connection cut) */
  status: number;
  /** gRPC responses: the `grpc-status` */
  grpcStatus?: number;
  /** from the request's headers to the end of the response, milliseconds (as `response_latency_ms`) */
  latencyMs: number;
  /** the proxy answered or cut the response: why */
  error?: string;
}

export interface TapDroppedEvent {
  type: 'dropped';
  count: number;
}

export type TapEvent = TapRequestEvent | TapResponseEvent | TapDroppedEvent;

/** What a tapper asks for: every field given must match. */
export interface TapFilter {
  /** a prefix of the request path (Linkerd's `--path`) */
  path?: string;
  /** exact, case-insensitive */
  method?: string;
  /** exact `:authority`/`Host` */
  authority?: string;
  direction?: 'inbound' | 'outbound';
}

export function matches(f: TapFilter, method: string, path: string, authority: string | undefined, dir: string) {
  return (
    (f.method === undefined || f.method === method) &&
    (f.path === undefined || path.startsWith(f.path)) &&
    (f.authority === undefined || f.authority === authority) &&
    (f.direction === undefined || f.direction === dir)
  );
}
