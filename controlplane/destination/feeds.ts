import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import type { ServiceAuthority } from '../../proto/authority.js';
import type { RoutePolicy } from '../../proto/generated/weir/destination/v1/RoutePolicy.js';
import type { ServiceList } from '../../proto/generated/weir/destination/v1/ServiceList.js';
import type { Update } from '../../proto/generated/weir/destination/v1/Update.js';
import type { WeightedAddr } from '../../proto/generated/weir/destination/v1/WeightedAddr.js';
import { weirApi } from '../../proto/load.js';
import type { StreamQueue } from '../grpc/stream-queue.js';
import {
  diffAddrs,
  findServicePort,
  resourceMessage,
  routePolicy,
  routePolicyKey,
  setLabels,
  weightedAddrs,
} from './translate.js';

/** what one Service port looks like in one snapshot */
interface AuthorityState {
  exists: boolean;
  addrs: Map<string, WeightedAddr>;
  /** the endpoint set as text: an unchanged set skips the diff */
  addrsKey: string;
  labels: Record<string, string>;
  policy: RoutePolicy;
  policyKey: string;
}

function authorityState(snapshot: MeshSnapshot, a: ServiceAuthority): AuthorityState {
  const view = findServicePort(snapshot, a);
  const policy: RoutePolicy = view === undefined ? { httpRoutes: [], grpcRoutes: [] } : routePolicy(snapshot, view);
  const addrs = view === undefined ? new Map<string, WeightedAddr>() : weightedAddrs(view);
  return {
    exists: view !== undefined,
    addrs,
    addrsKey: JSON.stringify([...addrs.values()]),
    labels: view === undefined ? {} : setLabels(view),
    policy,
    policyKey: routePolicyKey(policy),
  };
}

/** the whole state of a Service port, what a new stream gets first */
function wholeState(s: AuthorityState): Update[] {
  return [
    { routePolicy: s.policy },
    s.addrs.size > 0
      ? { add: { addrs: [...s.addrs.values()], metricLabels: s.labels } }
      : { noEndpoints: { exists: s.exists } },
  ];
}

/** what changed from one state to the next (nothing when nothing did) */
function changes(before: AuthorityState, after: AuthorityState): Update[] {
  const out: Update[] = [];
  if (before.policyKey !== after.policyKey) out.push({ routePolicy: after.policy });
  if (after.addrs.size === 0) {
    if (before.addrs.size > 0 || before.exists !== after.exists) out.push({ noEndpoints: { exists: after.exists } });
  } else if (before.addrsKey !== after.addrsKey) {
    const { add, remove } = diffAddrs(before.addrs, after.addrs);
    if (remove.length > 0) out.push({ remove: { addrs: remove.map((k) => before.addrs.get(k)!.addr!) } });
    if (add.length > 0) out.push({ add: { addrs: add, metricLabels: after.labels } });
  }
  return out;
}

/**
 * Every stream watching one thing (a Service port, the Services list) hangs off one feed: at each new
 * snapshot the feed works out what changed once, encodes it once, and writes the same bytes to each
 * stream's bounded queue. A stream that joins gets the whole current state first. The feed follows the
 * config source only while it has streams.
 */
abstract class Feed<S> {
  private readonly streams = new Set<StreamQueue<Buffer>>();
  private snapshot: MeshSnapshot | undefined;
  private state: S | undefined;
  private unsubscribe: (() => unknown) | undefined;

  constructor(
    private readonly source: ConfigSource,
    private readonly onEmpty: () => void,
  ) {}

  protected abstract stateOf(snapshot: MeshSnapshot): S;
  protected abstract whole(state: S): Buffer[];
  protected abstract changes(before: S, after: S): Buffer[];

  /** a new stream: the whole state now, then every change; returns how to leave */
  join(queue: StreamQueue<Buffer>): () => void {
    if (this.unsubscribe === undefined) this.unsubscribe = this.source.subscribe((s) => this.advance(s));
    this.advance(this.source.current());
    for (const message of this.whole(this.state!)) queue.push(message);
    this.streams.add(queue);
    return () => {
      if (!this.streams.delete(queue) || this.streams.size > 0) return;
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.snapshot = undefined;
      this.state = undefined;
      this.onEmpty();
    };
  }

  private advance(snapshot: MeshSnapshot): void {
    if (snapshot === this.snapshot) return;
    const next = this.stateOf(snapshot);
    const before = this.state;
    this.snapshot = snapshot;
    this.state = next;
    if (before === undefined) return;
    const messages = this.changes(before, next);
    if (messages.length === 0) return;
    for (const queue of [...this.streams]) {
      if (queue.isClosed) continue;
      for (const m of messages) queue.push(m);
    }
  }
}

const encodeUpdate = (u: Update): Buffer => weirApi().destination.v1.Destination.service.Get.responseSerialize(u);
const encodeServiceList = (l: ServiceList): Buffer =>
  weirApi().destination.v1.Destination.service.WatchServices.responseSerialize(l);

export class AuthorityFeed extends Feed<AuthorityState> {
  constructor(
    private readonly authority: ServiceAuthority,
    source: ConfigSource,
    onEmpty: () => void,
  ) {
    super(source, onEmpty);
  }
  protected stateOf(snapshot: MeshSnapshot): AuthorityState {
    return authorityState(snapshot, this.authority);
  }
  protected whole(state: AuthorityState): Buffer[] {
    return wholeState(state).map(encodeUpdate);
  }
  protected changes(before: AuthorityState, after: AuthorityState): Buffer[] {
    return changes(before, after).map(encodeUpdate);
  }
}

interface ServicesState {
  key: string;
  snapshot: MeshSnapshot;
  encoded?: Buffer;
}

export class ServicesFeed extends Feed<ServicesState> {
  protected stateOf(snapshot: MeshSnapshot): ServicesState {
    // the Services' JSON as the key: the list goes out again only when a Service changed
    return { key: snapshot.services.map((s) => JSON.stringify(s)).join('\n'), snapshot };
  }
  protected whole(state: ServicesState): Buffer[] {
    state.encoded ??= encodeServiceList({ services: state.snapshot.services.map(resourceMessage) });
    return [state.encoded];
  }
  protected changes(before: ServicesState, after: ServicesState): Buffer[] {
    return before.key === after.key ? [] : this.whole(after);
  }
}
