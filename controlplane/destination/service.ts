import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import { formatAuthority, parseAuthority, type ServiceAuthority } from '../../proto/authority.js';
import type { DestinationHandlers } from '../../proto/generated/weir/destination/v1/Destination.js';
import type { GetDestination__Output } from '../../proto/generated/weir/destination/v1/GetDestination.js';
import type { RoutePolicy } from '../../proto/generated/weir/destination/v1/RoutePolicy.js';
import type { ServiceList } from '../../proto/generated/weir/destination/v1/ServiceList.js';
import type { Update } from '../../proto/generated/weir/destination/v1/Update.js';
import type { WatchServicesRequest__Output } from '../../proto/generated/weir/destination/v1/WatchServicesRequest.js';
import type { WeightedAddr } from '../../proto/generated/weir/destination/v1/WeightedAddr.js';
import { StreamQueue } from '../grpc/stream-queue.js';
import {
  diffAddrs,
  findServicePort,
  resourceMessage,
  routePolicy,
  routePolicyKey,
  setLabels,
  weightedAddrs,
} from './translate.js';

export interface DestinationServiceOptions {
  configSource: ConfigSource;
  /** most updates waiting per stream before it is closed (Linkerd: 100) */
  queueCapacity: number;
  /** a stream closed because its client did not keep up */
  onOverflow?: (rpc: string, what: string) => void;
}

/** what one authority looks like in one snapshot, computed once per snapshot for every stream */
interface AuthorityState {
  exists: boolean;
  addrs: Map<string, WeightedAddr>;
  /** the endpoint set as text: streams whose set did not change skip the diff */
  addrsKey: string;
  labels: Record<string, string>;
  policy: RoutePolicy;
  policyKey: string;
}

/**
 * The Destination service over a `ConfigSource`: per stream, the whole state first, then what changed
 * at each new snapshot (translate.ts makes the messages; this file only watches and sends).
 */
export function destinationService(options: DestinationServiceOptions): DestinationHandlers {
  const perSnapshot = new WeakMap<MeshSnapshot, Map<string, AuthorityState>>();
  const serviceLists = new WeakMap<MeshSnapshot, { message: ServiceList; key: string }>();

  const authorityState = (snapshot: MeshSnapshot, a: ServiceAuthority): AuthorityState => {
    let byAuthority = perSnapshot.get(snapshot);
    if (byAuthority === undefined) perSnapshot.set(snapshot, (byAuthority = new Map()));
    const key = formatAuthority(a);
    let state = byAuthority.get(key);
    if (state === undefined) {
      const view = findServicePort(snapshot, a);
      const policy: RoutePolicy = view === undefined ? { httpRoutes: [], grpcRoutes: [] } : routePolicy(snapshot, view);
      const addrs = view === undefined ? new Map<string, WeightedAddr>() : weightedAddrs(view);
      state = {
        exists: view !== undefined,
        addrs,
        addrsKey: JSON.stringify([...addrs.values()]),
        labels: view === undefined ? {} : setLabels(view),
        policy,
        policyKey: routePolicyKey(policy),
      };
      byAuthority.set(key, state);
    }
    return state;
  };

  const serviceList = (snapshot: MeshSnapshot): { message: ServiceList; key: string } => {
    let list = serviceLists.get(snapshot);
    if (list === undefined) {
      const services = snapshot.services.map(resourceMessage);
      list = { message: { services }, key: services.map((s) => (s.json as Buffer).toString()).join('\n') };
      serviceLists.set(snapshot, list);
    }
    return list;
  };

  /** run `onSnapshot` for every snapshot until the client goes away or the stream is closed */
  const follow = <Req, Res>(
    call: ServerWritableStream<Req, Res>,
    what: string,
    rpc: string,
    onSnapshot: (s: MeshSnapshot, queue: StreamQueue<Res>) => void,
  ): void => {
    let unsubscribe = () => undefined as unknown;
    const queue = new StreamQueue<Res>(call, options.queueCapacity, () => {
      unsubscribe();
      options.onOverflow?.(rpc, what);
    });
    const stop = () => {
      unsubscribe();
      queue.close();
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    unsubscribe = options.configSource.subscribe((s) => {
      if (!queue.isClosed) onSnapshot(s, queue);
    });
    onSnapshot(options.configSource.current(), queue);
  };

  return {
    Get(call: ServerWritableStream<GetDestination__Output, Update>) {
      const authority = parseAuthority(call.request.path);
      if (authority === undefined) {
        call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details: `path: expected a Service authority like web.test.svc.cluster.local:80, got ${JSON.stringify(call.request.path)}`,
        });
        return;
      }
      let sent: AuthorityState | undefined;
      follow(call, call.request.path, 'Destination.Get', (snapshot, queue) => {
        const next = authorityState(snapshot, authority);
        const first = sent === undefined;
        if (first || sent!.policyKey !== next.policyKey) queue.push({ routePolicy: next.policy });
        if (first) {
          if (next.addrs.size > 0) queue.push({ add: { addrs: [...next.addrs.values()], metricLabels: next.labels } });
          else queue.push({ noEndpoints: { exists: next.exists } });
        } else if (next.addrs.size === 0) {
          if (sent!.addrs.size > 0 || sent!.exists !== next.exists)
            queue.push({ noEndpoints: { exists: next.exists } });
        } else if (sent!.addrsKey !== next.addrsKey) {
          const { add, remove } = diffAddrs(sent!.addrs, next.addrs);
          if (remove.length > 0) queue.push({ remove: { addrs: remove.map((k) => sent!.addrs.get(k)!.addr!) } });
          if (add.length > 0) queue.push({ add: { addrs: add, metricLabels: next.labels } });
        }
        sent = next;
      });
    },

    WatchServices(call: ServerWritableStream<WatchServicesRequest__Output, ServiceList>) {
      let sentKey: string | undefined;
      follow(call, 'services', 'Destination.WatchServices', (snapshot, queue) => {
        const list = serviceList(snapshot);
        if (list.key === sentKey) return;
        sentKey = list.key;
        queue.push(list.message);
      });
    },
  };
}
