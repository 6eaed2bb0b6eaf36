import { endpointsKey } from '../mesh/snapshot.js';
import type { HTTPBackendRef, Service } from '../resources/index.js';
import { isCoreGroup, type ServicePortRef } from './attach.js';

/** A Service port that requests can be forwarded to: the proxy keeps its endpoints under `key`. */
export interface BackendTarget extends ServicePortRef {
  /** position in `RoutingTable.targets` (distinct by key), so the proxy can keep per-target state in an array */
  readonly index: number;
  /** `endpointsKey(namespace, service, port)` */
  readonly key: string;
}

/** One backendRef of a rule, resolved. */
export interface RuleBackend {
  /** `namespace/name:port` as referenced, for messages and `/config` */
  readonly name: string;
  readonly weight: number;
  /** the Service port to forward to; undefined when the ref does not resolve */
  readonly target: BackendTarget | undefined;
  /** 0 when requests can be forwarded; otherwise the status the proxy answers for this share (500) */
  readonly failStatus: number;
  /** why `failStatus` is set ('' otherwise) */
  readonly reason: string;
}

/** Services by `namespace/name`; built once per snapshot and shared by every table compiled from it. */
export class ServiceIndex {
  private readonly services = new Map<string, Service>();

  constructor(services: readonly Service[]) {
    for (const s of services) this.services.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
  }

  get(namespace: string, name: string): Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }
}

/** Resolves the backendRefs of one table and collects its distinct targets. */
export class BackendResolver {
  readonly targets: BackendTarget[] = [];
  private readonly byKey = new Map<string, BackendTarget>();

  constructor(private readonly services: ServiceIndex) {}

  target(ref: ServicePortRef): BackendTarget {
    const key = endpointsKey(ref.namespace, ref.service, ref.port);
    let t = this.byKey.get(key);
    if (t === undefined) {
      t = { ...ref, index: this.targets.length, key };
      this.targets.push(t);
      this.byKey.set(key, t);
    }
    return t;
  }

  /**
   * Resolve a backendRef of a route in `routeNamespace`. Only core Services are backends; a missing port
   * means the Service's only port, or else the port with the parent's number. Anything that does not
   * resolve answers 500 for its share of requests (Gateway API: ResolvedRefs=False).
   */
  resolve(ref: HTTPBackendRef, routeNamespace: string, parentPort: number): RuleBackend {
    const namespace = ref.namespace ?? routeNamespace;
    const kind = ref.kind ?? 'Service';
    const weight = ref.weight ?? 1;
    const name = `${namespace}/${ref.name}${ref.port !== undefined ? `:${ref.port}` : ''}`;
    const fail = (reason: string): RuleBackend => ({ name, weight, target: undefined, failStatus: 500, reason });
    if (kind !== 'Service' || !isCoreGroup(ref.group)) {
      return fail(`backend ${name}: unsupported kind ${ref.group ? `${ref.group}/` : ''}${kind} (InvalidKind)`);
    }
    const svc = this.services.get(namespace, ref.name);
    if (svc === undefined) return fail(`backend ${name}: Service not found (BackendNotFound)`);
    const ports = svc.spec.ports;
    const port =
      ref.port !== undefined
        ? ports.find((p) => p.port === ref.port)
        : ports.length === 1
          ? ports[0]
          : ports.find((p) => p.port === parentPort);
    if (port === undefined) {
      return fail(
        ref.port !== undefined
          ? `backend ${name}: Service has no port ${ref.port} (BackendNotFound)`
          : `backend ${name}: no port given and the Service has several (BackendNotFound)`,
      );
    }
    const target = this.target({ namespace, service: ref.name, port: port.port, portName: port.name });
    return { name: `${namespace}/${ref.name}:${port.port}`, weight, target, failStatus: 0, reason: '' };
  }
}
