import { identityName, isValidWorkload } from '../identity/names.js';
import {
  ANNOTATION_APP_PORT,
  ANNOTATION_INBOUND_PORT,
  ANNOTATION_PROXY_INBOUND,
  SERVICE_NAME_LABEL,
  isPodReady,
  type EndpointSlice,
  type GRPCRoute,
  type HTTPRoute,
  type KubeObject,
  type Pod,
  type Service,
  type ServicePort,
} from '../../engine/resources/index.js';
import type { ConfigSource, MeshEndpoint, MeshSnapshot, ServicePortEndpoints } from '../../engine/mesh/snapshot.js';
import type { ResourceStore, WatchEvent } from '../store/resource-store.js';
import { ClusterIPAllocator } from './cluster-ips.js';

/** the kinds a snapshot is made of: a change to any other kind never produces a new snapshot */
export const DISCOVERY_KINDS: ReadonlySet<string> = new Set([
  'Service',
  'HTTPRoute',
  'GRPCRoute',
  'Pod',
  'EndpointSlice',
]);

export interface StoreConfigSourceOptions {
  /** how long a burst of store events is coalesced into one snapshot; default 5 ms */
  debounceMs?: number;
  /**
   * where a Service with a selector gets its endpoints: `pods` (default: the local runtime's Pods and their
   * sidecar-port annotations) or `slices` (on a cluster: the EndpointSlices its controllers keep for every
   * Service, each endpoint's Pod naming its deployment and mesh identity; its Pods when it has no slice)
   */
  endpoints?: 'pods' | 'slices';
}

/**
 * Discovery over a `ResourceStore`: Services, HTTPRoutes and, for every Service port, its endpoints,
 * as one immutable `MeshSnapshot`. Bursts of store events become one snapshot with a higher version;
 * subscribers hear only about snapshots whose content changed.
 */
export class StoreConfigSource implements ConfigSource {
  private snapshot: MeshSnapshot;
  private content: string;
  private readonly listeners = new Set<(s: MeshSnapshot) => void>();
  private readonly unwatch: () => void;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly clusterIPs = new ClusterIPAllocator();

  constructor(
    private readonly store: ResourceStore,
    private readonly options: StoreConfigSourceOptions = {},
  ) {
    const built = buildSnapshot(store, 1, this.clusterIPs, options.endpoints);
    this.snapshot = built;
    this.content = contentOf(built);
    this.unwatch = store.watch((e) => this.onEvent(e));
  }

  current(): MeshSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (snapshot: MeshSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** rebuild now (normally done on store events); returns the current snapshot */
  refresh(): MeshSnapshot {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = buildSnapshot(this.store, this.snapshot.version + 1, this.clusterIPs, this.options.endpoints);
    const content = contentOf(next);
    if (content === this.content) return this.snapshot;
    this.snapshot = next;
    this.content = content;
    for (const l of [...this.listeners]) {
      try {
        l(next);
      } catch (err) {
        process.emitWarning(`snapshot listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return next;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.unwatch();
    this.listeners.clear();
  }

  private onEvent(e: WatchEvent): void {
    if (this.closed || !DISCOVERY_KINDS.has(e.object.kind) || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.refresh();
    }, this.options.debounceMs ?? 5);
  }
}

function contentOf(s: MeshSnapshot): string {
  return JSON.stringify([s.services, s.httpRoutes, s.grpcRoutes, s.endpoints]);
}

/** The snapshot the store describes right now. */
export function buildSnapshot(
  store: ResourceStore,
  version: number,
  clusterIPs: ClusterIPAllocator = new ClusterIPAllocator(),
  from: 'pods' | 'slices' = 'pods',
): MeshSnapshot {
  const services = clusterIPs.assign(store.list<Service>('Service'));
  const httpRoutes = store.list<HTTPRoute>('HTTPRoute');
  const grpcRoutes = store.list<GRPCRoute>('GRPCRoute');
  const endpoints: ServicePortEndpoints[] = [];
  const podsByNs = new Map<string, Pod[]>();
  const slicesByNs = new Map<string, EndpointSlice[]>();
  const slicesOf = (ns: string, name: string) => {
    if (!slicesByNs.has(ns)) slicesByNs.set(ns, store.list<EndpointSlice>('EndpointSlice', ns));
    return slicesByNs.get(ns)!.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
  };
  for (const svc of services) {
    const ns = svc.metadata.namespace;
    const selector = svc.spec.selector;
    const selected = selector !== undefined && Object.keys(selector).length > 0;
    // on a cluster, a selected Service's slices (kept by its controllers) when it has any
    const slices = !selected || from === 'slices' ? slicesOf(ns, svc.metadata.name) : [];
    if (selected && (from === 'pods' || slices.length === 0)) {
      if (!podsByNs.has(ns)) podsByNs.set(ns, store.list<Pod>('Pod', ns));
      const pods = podsByNs.get(ns)!.filter((p) => matchesSelector(p.metadata.labels, selector));
      const eps = pods.map(podEndpoint).filter((e): e is MeshEndpoint => e !== undefined);
      for (const sp of svc.spec.ports) endpoints.push(portEntry(svc, sp, eps));
    } else {
      // a Service without a selector: the EndpointSlices someone else keeps for it
      const pod = (e: MeshEndpoint) =>
        e.pod !== undefined ? store.get<Pod>('Pod', e.namespace ?? ns, e.pod) : undefined;
      for (const sp of svc.spec.ports) {
        const eps = sliceEndpoints(slices, sp);
        if (from === 'slices') for (const e of eps) withPodDetails(e, pod(e));
        endpoints.push(portEntry(svc, sp, eps));
      }
    }
  }
  return { version, services, httpRoutes, grpcRoutes, endpoints };
}

function portEntry(svc: Service, sp: ServicePort, eps: MeshEndpoint[]): ServicePortEndpoints {
  const entry: ServicePortEndpoints = {
    namespace: svc.metadata.namespace,
    service: svc.metadata.name,
    port: sp.port,
    endpoints: eps,
  };
  if (sp.name !== undefined && sp.name !== '') entry.portName = sp.name;
  return entry;
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** A Pod's endpoint is its sidecar's inbound listener (or the app itself when it runs without one). */
function podEndpoint(pod: Pod): MeshEndpoint | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const annotations = pod.metadata.annotations ?? {};
  const port = parsePort(annotations[ANNOTATION_INBOUND_PORT]) ?? parsePort(annotations[ANNOTATION_APP_PORT]);
  if (port === undefined) return undefined;
  const terminating = (pod.metadata as { deletionTimestamp?: unknown }).deletionTimestamp !== undefined;
  const ep: MeshEndpoint = {
    address: pod.status?.podIP ?? '127.0.0.1',
    port,
    ready: !terminating && isPodReady(pod),
    pod: pod.metadata.name,
    namespace: pod.metadata.namespace,
  };
  const deployment = deploymentOf(pod);
  if (deployment !== undefined) ep.deployment = deployment;
  const identity = meshIdentityOf(pod);
  if (identity !== undefined) ep.identity = identity;
  return ep;
}

/** an EndpointSlice endpoint of a Pod: the Pod's deployment and, when it is meshed, its identity */
function withPodDetails(e: MeshEndpoint, pod: Pod | undefined): void {
  if (!pod) return;
  const deployment = deploymentOf(pod);
  if (deployment !== undefined) e.deployment = deployment;
  const identity = meshIdentityOf(pod);
  if (identity !== undefined) e.identity = identity;
}

/**
 * The identity a meshed pod's sidecar proves (its service account's, `default` without one), which clients
 * check over mTLS; none for a pod without a sidecar process, or a name that cannot make an identity.
 */
function meshIdentityOf(pod: Pod): string | undefined {
  if (pod.metadata.annotations?.[ANNOTATION_PROXY_INBOUND] === undefined) return undefined;
  const sa = (pod.spec as { serviceAccountName?: unknown }).serviceAccountName;
  const workload = {
    namespace: pod.metadata.namespace,
    serviceAccount: typeof sa === 'string' && sa !== '' ? sa : 'default',
  };
  return isValidWorkload(workload) ? identityName(workload) : undefined;
}

/** `podinfo-7d9f8c6b5` (ReplicaSet) or `podinfo-7d9f8c6b5-x2kq9` (Pod) -> `podinfo`; a DaemonSet's or StatefulSet's pod -> its owner */
export function deploymentOf(pod: KubeObject): string | undefined {
  const owners = (pod.metadata as { ownerReferences?: { kind?: string; name?: string }[] }).ownerReferences;
  const rs = owners?.find((o) => o.kind === 'ReplicaSet')?.name;
  if (rs !== undefined) return stripSuffixes(rs, 1);
  const dep = owners?.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet' || o.kind === 'StatefulSet')?.name;
  if (dep !== undefined) return dep;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (hash !== undefined && pod.metadata.name.includes(`-${hash}-`)) {
    return pod.metadata.name.slice(0, pod.metadata.name.lastIndexOf(`-${hash}-`));
  }
  return undefined;
}

function stripSuffixes(name: string, count: number): string {
  let out = name;
  for (let i = 0; i < count; i++) {
    const at = out.lastIndexOf('-');
    if (at <= 0) break;
    out = out.slice(0, at);
  }
  return out;
}

function parsePort(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * Endpoints of one Service port from its EndpointSlices. As in Kubernetes, a slice port serves the
 * Service port with the same name ('' for an unnamed one); a slice without ports (or a matched port
 * without a number) means the Service's numeric `targetPort` (default: its `port`).
 */
function sliceEndpoints(slices: EndpointSlice[], sp: ServicePort): MeshEndpoint[] {
  const out: MeshEndpoint[] = [];
  const seen = new Set<string>();
  const wantName = sp.name ?? '';
  const fallback =
    typeof sp.targetPort === 'number' ? sp.targetPort : sp.targetPort === undefined ? sp.port : undefined;
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    let port: number | undefined;
    if (slice.ports.length === 0) port = fallback;
    else {
      const match = slice.ports.find((p) => (p.name ?? '') === wantName);
      if (!match) continue;
      port = match.port ?? fallback;
    }
    if (port === undefined) continue;
    for (const ep of slice.endpoints) {
      const c = ep.conditions;
      const ready = c?.ready !== false && c?.terminating !== true;
      for (const address of ep.addresses) {
        const id = `${address}:${port}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const me: MeshEndpoint = { address, port, ready };
        if (ep.targetRef?.kind === 'Pod' && ep.targetRef.name) {
          me.pod = ep.targetRef.name;
          me.namespace = ep.targetRef.namespace ?? slice.metadata.namespace;
        }
        out.push(me);
      }
    }
  }
  return out;
}

/** discovery over a store, as the CLI wires it: a `ConfigSource` with `close()` */
export function createDiscovery(store: ResourceStore, options: StoreConfigSourceOptions = {}): StoreConfigSource {
  return new StoreConfigSource(store, options);
}
