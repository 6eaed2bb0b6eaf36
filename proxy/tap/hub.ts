import { performance } from 'node:perf_hooks';
import { matches, type TapFilter, type TapPeer, type TapRequestEvent, type TapResponseEvent } from './event.js';

/** Someone tapping: what they asked for, and where a line (one JSON event, no newline) goes. */
export interface TapSubscriber {
  readonly filter: TapFilter;
  send(line: string): void;
}

/** The tapped proxy's own workload, on every event. */
export interface TapWorkload {
  namespace?: string | undefined;
  deployment?: string | undefined;
  pod?: string | undefined;
}

/** What a proxy knows of a request when its headers arrive. */
export interface TapRequestInfo {
  direction: 'inbound' | 'outbound';
  method: string;
  authority: string | undefined;
  path: string;
  tls: boolean;
  src: TapPeer;
  dst: TapPeer;
}

/**
 * The tap of one proxy process (shared by its outbound and inbound sides). While nobody taps, `active`
 * is false and a request costs that one check: the proxy calls `open()` only when it is true. A tapped
 * request is one `TapRecord`, made only when some tapper's filter matches it, and ended by `endRequest`.
 */
export class TapHub {
  /** some tapper is subscribed: the one thing the request path looks at */
  active = false;
  private readonly subscribers = new Set<TapSubscriber>();
  private nextId = 0;

  constructor(readonly workload: TapWorkload = {}) {}

  subscribe(s: TapSubscriber): () => void {
    this.subscribers.add(s);
    this.active = true;
    return () => {
      this.subscribers.delete(s);
      this.active = this.subscribers.size > 0;
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** a request's headers arrived (`start`: its `performance.now()`); undefined when no tapper wants it */
  open(info: TapRequestInfo, start: number): TapRecord | undefined {
    let to: TapSubscriber[] | undefined;
    for (const s of this.subscribers) {
      if (matches(s.filter, info.method, info.path, info.authority, info.direction)) (to ??= []).push(s);
    }
    if (to === undefined) return undefined;
    const w = this.workload;
    const event: TapRequestEvent = {
      type: 'request',
      id: this.nextId++,
      timestamp: Date.now(),
      direction: info.direction,
      ...(w.namespace !== undefined ? { namespace: w.namespace } : {}),
      ...(w.deployment !== undefined ? { deployment: w.deployment } : {}),
      ...(w.pod !== undefined ? { pod: w.pod } : {}),
      method: info.method,
      ...(info.authority !== undefined ? { authority: info.authority } : {}),
      path: info.path,
      tls: info.tls,
      src: info.src,
      dst: info.dst,
    };
    const line = JSON.stringify(event);
    for (const s of to) s.send(line);
    return new TapRecord(event, to, start);
  }
}

/** One tapped request, until its response ends. */
export class TapRecord {
  private ended = false;

  constructor(
    private readonly event: TapRequestEvent,
    private readonly to: readonly TapSubscriber[],
    private readonly start: number,
  ) {}

  /** outbound: the endpoint the request went to (the last try's) */
  endpoint(dst: TapPeer, tls: boolean): void {
    this.event.dst = { ...this.event.dst, ...dst };
    this.event.tls = tls;
  }

  /** the response ended: `status` 0 for none, `grpcStatus` -1 for none, `reason` when the proxy failed it */
  end(status: number, grpcStatus: number, reason: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const out: TapResponseEvent = {
      ...this.event,
      type: 'response',
      status,
      ...(grpcStatus >= 0 ? { grpcStatus } : {}),
      latencyMs: Math.round((performance.now() - this.start) * 1000) / 1000,
      ...(reason !== undefined ? { error: reason } : {}),
    };
    const line = JSON.stringify(out);
    for (const s of this.to) s.send(line);
  }
}
