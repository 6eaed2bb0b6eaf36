import type { StatusObject } from '@grpc/grpc-js';
import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import type { Service } from '../../engine/resources/index.js';
import { formatAuthority } from '../../proto/authority.js';
import type { DestinationClient } from '../../proto/generated/weir/destination/v1/Destination.js';
import type { ServiceList__Output } from '../../proto/generated/weir/destination/v1/ServiceList.js';
import type { Update__Output } from '../../proto/generated/weir/destination/v1/Update.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { channelOptions, destinationClient } from './clients.js';
import { onChannelReady } from './on-channel-ready.js';
import { decodeServices, WireError } from './decode.js';
import { assemble, AuthorityState, authoritiesOf } from './mesh-state.js';
import { realTimers, type Timers } from './timers.js';
import { ResilientWatch } from './watch.js';

export interface GrpcConfigSourceOptions {
  /** the control plane, `host:port` */
  address: string;
  /** the proxy's own workload, sent as the context token */
  namespace?: string;
  pod?: string;
  /** reconnection: 100 ms doubling up to 10 s, with jitter; `random` and `timers` for tests */
  backoff?: BackoffOptions;
  timers?: Timers;
  /** how long a change waits for the first state of Service ports it adds before it is applied anyway (default 1 s) */
  holdMs?: number;
  /** an update refused at the edge (the configuration in force stays) */
  onRejected?: (errors: string[]) => void;
  /** a watch lost its stream (it is reopened in `retryInMs`) */
  onDown?: (what: string, reason: StatusObject, retryInMs: number) => void;
  /** a new snapshot is in force */
  onApplied?: (snapshot: MeshSnapshot) => void;
}

const EMPTY: MeshSnapshot = { version: 0, services: [], httpRoutes: [], grpcRoutes: [], endpoints: [] };

/**
 * The proxy's configuration from the control plane's Destination API: the Services list
 * (`WatchServices`) and, for each Service port, its route policy and endpoints (`Get`), assembled
 * into `MeshSnapshot`s validated at the edge by the engine's schemas.
 *
 * When the control plane goes away the last configuration stays in force; every stream is reopened
 * with exponential backoff and jitter, and the whole state it then receives replaces what it had.
 * `ready()` resolves with the first whole configuration.
 */
export class GrpcConfigSource implements ConfigSource {
  private readonly client: DestinationClient;
  private readonly timers: Timers;
  private readonly contextToken: string;
  private readonly listeners = new Set<(s: MeshSnapshot) => void>();
  private readonly authorities = new Map<string, { state: AuthorityState; watch: ResilientWatch<Update__Output> }>();
  private readonly servicesWatch: ResilientWatch<ServiceList__Output>;
  private services: Service[] | undefined;
  private snapshot: MeshSnapshot = EMPTY;
  /** something applied since the last snapshot differs from it */
  private changed = false;
  /** the Services list as it came over the wire */
  private servicesWire: string | undefined;
  private stamp = 0;
  private emitTimer: unknown;
  /** while streams are down: reopen them all as soon as the channel is back */
  private channelWatch: { stop(): void } | undefined;
  private holdTimer: unknown;
  private closed = false;
  private resolveReady!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));

  constructor(private readonly options: GrpcConfigSourceOptions) {
    const b = options.backoff ?? {};
    this.timers = options.timers ?? realTimers;
    this.client = destinationClient(options.address, channelOptions(b.minMs ?? 100, b.maxMs ?? 10_000));
    this.contextToken = JSON.stringify({
      ...(options.namespace !== undefined ? { ns: options.namespace } : {}),
      ...(options.pod !== undefined ? { pod: options.pod } : {}),
    });
    this.servicesWatch = new ResilientWatch<ServiceList__Output>(
      () => this.client.WatchServices({ contextToken: this.contextToken }),
      {
        onMessage: (list) => this.onServices(list),
        onDown: (reason, retry) => this.down('services', reason, retry),
      },
      new Backoff(b),
      this.timers,
    ).start();
  }

  current(): MeshSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (snapshot: MeshSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** resolves once the first whole configuration is in force */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  close(): void {
    this.closed = true;
    this.timers.clearTimeout(this.emitTimer);
    this.timers.clearTimeout(this.holdTimer);
    this.channelWatch?.stop();
    this.servicesWatch.close();
    for (const a of this.authorities.values()) a.watch.close();
    this.authorities.clear();
    this.listeners.clear();
    this.client.close();
  }

  private down(what: string, reason: StatusObject, retryInMs: number): void {
    this.options.onDown?.(what, reason, retryInMs);
    if (this.closed || this.channelWatch !== undefined) return;
    this.channelWatch = onChannelReady(this.client, () => {
      this.channelWatch = undefined;
      this.servicesWatch.retryNow();
      for (const a of this.authorities.values()) a.watch.retryNow();
    });
  }

  private onServices(list: ServiceList__Output): void {
    const wire = (list.services ?? []).map((r) => Buffer.from(r.json).toString('latin1')).join('\n');
    if (wire === this.servicesWire) return;
    let services: Service[];
    try {
      services = decodeServices(list.services ?? []);
    } catch (err) {
      return this.rejected(err);
    }
    this.servicesWire = wire;
    this.services = services;
    this.changed = true;
    const wanted = new Map(authoritiesOf(services).map((a) => [formatAuthority(a.ref), a]));
    for (const [key, a] of this.authorities) {
      const want = wanted.get(key);
      if (want === undefined || want.portName !== a.state.portName) {
        a.watch.close();
        this.authorities.delete(key);
      }
    }
    for (const [key, a] of wanted) {
      if (this.authorities.has(key)) continue;
      const state = new AuthorityState(a.ref, a.portName);
      const watch = new ResilientWatch<Update__Output>(
        () => {
          state.reopened();
          return this.client.Get({ scheme: 'k8s', path: key, contextToken: this.contextToken });
        },
        {
          onMessage: (u) => this.onUpdate(state, u),
          onDown: (reason, retry) => this.down(key, reason, retry),
        },
        new Backoff(this.options.backoff),
        this.timers,
      );
      this.authorities.set(key, { state, watch });
      watch.start();
    }
    this.schedule();
  }

  private onUpdate(state: AuthorityState, u: Update__Output): void {
    if (this.authorities.get(state.authority)?.state !== state) return;
    try {
      if (!state.apply(u, ++this.stamp)) return;
    } catch (err) {
      return this.rejected(err);
    }
    this.changed = true;
    this.schedule();
  }

  private rejected(err: unknown): void {
    if (!(err instanceof WireError)) throw err;
    this.options.onRejected?.(err.errors);
  }

  /** updates arriving together become one snapshot */
  private schedule(): void {
    if (this.closed || this.emitTimer !== undefined) return;
    this.emitTimer = this.timers.setTimeout(() => {
      this.emitTimer = undefined;
      this.emit(false);
    }, 0);
  }

  private emit(force: boolean): void {
    if (this.closed || this.services === undefined) return;
    const states = [...this.authorities.values()].map((a) => a.state);
    // a Service port just added has no state yet, and a stream reopened after the control plane was away
    // has not sent its whole state again: wait for them (bounded), rather than serve a port empty or a mix
    if (!force && states.some((s) => !s.synced || !s.resynced)) {
      if (this.holdTimer === undefined && this.snapshot !== EMPTY) {
        this.holdTimer = this.timers.setTimeout(() => {
          this.holdTimer = undefined;
          this.emit(true);
        }, this.options.holdMs ?? 1000);
      }
      return;
    }
    this.timers.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (!this.changed && this.snapshot !== EMPTY) return;
    this.changed = false;
    const next = assemble(this.snapshot.version + 1, this.services, states);
    this.snapshot = next;
    this.resolveReady();
    this.options.onApplied?.(next);
    for (const l of [...this.listeners]) {
      try {
        l(next);
      } catch (err) {
        process.emitWarning(`snapshot listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
