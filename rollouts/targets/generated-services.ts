import { ANNOTATION_MANAGED_BY, type Canary, type Service } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { apexServiceName, meta, sameJson, withoutStatus } from './objects.js';

type ServicePort = Service['spec']['ports'][number];

/** A container of the target's pod template, as far as its ports go. */
export interface TargetContainer {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
}

/** what the Services are generated for: the app label, its value, and the target's containers */
export interface ServiceTarget {
  label: { key: string; value: string };
  containers: readonly TargetContainer[];
}

/** sidecars Flagger leaves out of port discovery (`sidecars` in `pkg/canary/util.go`) */
const SIDECARS = new Set(['istio-proxy', 'envoy', 'appmesh-proxy', 'linkerd-proxy', 'weir-proxy']);

/**
 * `service.portDiscovery`: every container port but the service's own target port, as a TCP port of the
 * same number, named after the container port or `tcp-<container>-<index>` (Flagger's `getPorts`).
 */
export function discoveredPorts(canary: Canary, containers: readonly TargetContainer[]): ServicePort[] {
  const svc = canary.spec.service;
  const byName = new Map<string, number>();
  for (const c of containers) {
    if (SIDECARS.has(c.name)) continue;
    (c.ports ?? []).forEach((p, i) => {
      const target = svc.targetPort;
      if (target === undefined ? p.containerPort === svc.port : target === p.containerPort || target === p.name) return;
      byName.set(p.name || `tcp-${c.name}-${i}`, p.containerPort);
    });
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, port]) => ({ name, port, targetPort: port, protocol: 'TCP' as const }));
}

/** one of `service.ports` (Flagger's PR #1809) as a Service port */
function listedPort(p: NonNullable<Canary['spec']['service']['ports']>[number]): ServicePort {
  return {
    name: p.name,
    port: p.port,
    targetPort: p.targetPort ?? p.port,
    protocol: p.protocol,
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
  };
}

/**
 * The Services Flagger generates for a canary (`KubernetesDefaultRouter.reconcileService`): `<apex>-primary`
 * and `<apex>-canary`, and the apex itself pointed at the primary pods. Each has the canary's port (plus
 * the discovered ones with `portDiscovery`; exactly `service.ports` when given), `clusterIP: None` with `headless`, the
 * `trafficDistribution`, and the labels and annotations of `service.primary|canary|apex`. On a Service
 * the controller owns, the keys listed in `service.unmanagedMetadata` keep the values others gave them.
 */
export class GeneratedServices {
  constructor(
    private readonly store: ResourceStore,
    /** the annotation value that marks the controller's own objects */
    private readonly managedBy: string,
  ) {}

  async reconcile(canary: Canary, target: ServiceTarget): Promise<void> {
    const apex = apexServiceName(canary);
    const svc = canary.spec.service;
    const { label } = target;
    await this.ensure(canary, this.want(canary, target, `${apex}-primary`, `${label.value}-primary`, svc.primary));
    await this.ensure(canary, this.want(canary, target, `${apex}-canary`, label.value, svc.canary));
  }

  async reconcileApex(canary: Canary, target: ServiceTarget): Promise<void> {
    const name = apexServiceName(canary);
    const want = this.want(canary, target, name, `${target.label.value}-primary`, canary.spec.service.apex);
    await this.ensure(canary, want);
  }

  /**
   * `revertOnDeletion`: the apex Service selects the target's own pods again (Flagger's router `Finalize`:
   * a Service it created is reconciled to the target's label value; Weir does the same for a user's).
   */
  async releaseApex(canary: Canary, target: ServiceTarget): Promise<void> {
    const name = apexServiceName(canary);
    const have = this.store.get<Service>('Service', canary.metadata.namespace, name);
    if (!have) return;
    const selector = { [target.label.key]: target.label.value };
    if (sameJson(have.spec.selector, selector)) return;
    const next = withoutStatus(have);
    next.spec = { ...next.spec, selector };
    await this.store.apply(next, { manager: this.managedBy });
  }

  /** `revertOnDeletion`: the generated `-primary` and `-canary` Services go with the canary */
  async remove(canary: Canary): Promise<void> {
    const apex = apexServiceName(canary);
    for (const name of [`${apex}-primary`, `${apex}-canary`]) {
      const have = this.store.get<Service>('Service', canary.metadata.namespace, name);
      if (have?.metadata.annotations?.[ANNOTATION_MANAGED_BY] === this.managedBy)
        await this.store.delete('Service', canary.metadata.namespace, name);
    }
  }

  private want(canary: Canary, target: ServiceTarget, name: string, selectorValue: string, extra: unknown): Service {
    const svc = canary.spec.service;
    const port: ServicePort = {
      name: svc.portName ?? 'http',
      port: svc.port,
      targetPort: svc.targetPort ?? svc.port,
      protocol: 'TCP',
      ...(svc.appProtocol !== undefined ? { appProtocol: svc.appProtocol } : {}),
    };
    const ports = svc.ports
      ? svc.ports.map(listedPort)
      : svc.portDiscovery
        ? [port, ...discoveredPorts(canary, target.containers)]
        : [port];
    const m = meta(extra);
    const { key } = target.label;
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace: canary.metadata.namespace,
        labels: { ...m.labels, [key]: selectorValue },
        annotations: { ...m.annotations, [ANNOTATION_MANAGED_BY]: this.managedBy },
      },
      spec: {
        selector: { [key]: selectorValue },
        ports,
        ...(svc.headless ? { clusterIP: 'None' } : {}),
        ...(svc.trafficDistribution !== undefined ? { trafficDistribution: svc.trafficDistribution } : {}),
      },
    };
  }

  /**
   * Create `want`, or bring an existing Service's selector, ports, headlessness and traffic distribution to
   * it (other spec fields kept). Labels and annotations: a user's own Service keeps its; on one the
   * controller owns they are set, but for the `unmanagedMetadata` keys, whose current values stay.
   */
  private async ensure(canary: Canary, want: Service): Promise<void> {
    const have = this.store.get<Service>('Service', want.metadata.namespace, want.metadata.name);
    if (have) {
      const owned = have.metadata.annotations?.[ANNOTATION_MANAGED_BY] === this.managedBy;
      want = {
        ...want,
        metadata: owned ? keepUnmanaged(want.metadata, have.metadata, canary) : { ...withoutStatus(have).metadata },
        spec: {
          ...have.spec,
          selector: want.spec.selector,
          ports: want.spec.ports,
          ...(want.spec.clusterIP !== undefined ? { clusterIP: want.spec.clusterIP } : {}),
          ...(want.spec.trafficDistribution !== undefined
            ? { trafficDistribution: want.spec.trafficDistribution }
            : {}),
        },
      };
      const same =
        sameJson(portsOf(have), portsOf(want)) &&
        sameJson(have.spec.selector, want.spec.selector) &&
        have.spec.clusterIP === want.spec.clusterIP &&
        have.spec.trafficDistribution === want.spec.trafficDistribution &&
        sameJson(have.metadata.labels ?? {}, want.metadata.labels ?? {}) &&
        sameJson(have.metadata.annotations ?? {}, want.metadata.annotations ?? {});
      if (same) return;
    }
    await this.store.apply(want, { manager: this.managedBy });
  }
}

function portsOf(s: Service): unknown[] {
  return s.spec.ports.map((p) => [p.name, p.port, p.targetPort, p.appProtocol]);
}

function keepUnmanaged(want: Service['metadata'], have: Service['metadata'], canary: Canary): Service['metadata'] {
  const unmanaged = canary.spec.service.unmanagedMetadata;
  const labels = { ...want.labels };
  const annotations = { ...want.annotations };
  for (const k of unmanaged?.labels ?? []) if (have.labels?.[k] !== undefined) labels[k] = have.labels[k];
  for (const k of unmanaged?.annotations ?? [])
    if (have.annotations?.[k] !== undefined) annotations[k] = have.annotations[k];
  return { ...want, labels, annotations };
}
