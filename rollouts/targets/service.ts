import type { WorkloadObservation } from '../../engine/canary/index.js';
import { templateHash } from '../../engine/canary/index.js';
import {
  SERVICE_NAME_LABEL,
  type Canary,
  type EndpointSlice,
  type KubeObject,
  type Service,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { sameJson, withoutStatus } from './objects.js';
import { MANAGED_BY, MANAGED_BY_ANNOTATION } from './pods.js';
import type { TargetAdapter } from './target-adapter.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** the EndpointSlices a selector-less Service's endpoints come from */
function slicesOf(store: ResourceStore, ns: string, service: string): EndpointSlice[] {
  return store
    .list<EndpointSlice>('EndpointSlice', ns)
    .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec.selector ?? {}).length > 0;
}

/**
 * Services as canary targets: Flagger's `ServiceController` (`pkg/canary/service_controller.go`), the
 * Service-to-Service canary for apps that run elsewhere. The target Service is the canary's source of
 * truth; `<target>-canary` is a copy of it kept up to date on every tick, `<target>-primary` a copy made once
 * and brought to the target's spec at promotion; the router moves the weight between the two. Nothing is
 * scaled, and both sides are always ready.
 *
 * A Weir addition for Services without a selector, whose endpoints are EndpointSlices kept by someone else
 * (servers outside the mesh): the target's slices are copied with the Service (`<slice>-canary` for
 * `<target>-canary`, `<slice>-primary` at creation and promotion), and a change of its slices is a new revision
 * as a change of its spec is. On a cluster Flagger copies the spec only, so such copies have no endpoints.
 */
export class ServiceTarget implements TargetAdapter {
  readonly kind = 'Service';

  constructor(private readonly store: ResourceStore) {}

  private target(canary: Canary): Service | undefined {
    return this.store.get<Service>('Service', canary.metadata.namespace, canary.spec.targetRef.name);
  }

  private copyName(canary: Canary, which: 'primary' | 'canary'): string {
    return `${canary.spec.targetRef.name}-${which}`;
  }

  /** the revision: the Service's spec (Flagger `hasSpecChanged(cd, svc.Spec)`), and the slices without a selector */
  private revision(canary: Canary, svc: Service): string {
    if (hasSelector(svc)) return templateHash(svc.spec);
    const slices = slicesOf(this.store, canary.metadata.namespace, svc.metadata.name).map((s) => ({
      addressType: s.addressType,
      ports: s.ports,
      endpoints: s.endpoints,
    }));
    return templateHash({ spec: svc.spec, slices });
  }

  observeTarget(canary: Canary): WorkloadObservation {
    const svc = this.target(canary);
    if (!svc) {
      return {
        exists: false,
        replicas: 0,
        readiness: { ready: false, retriable: true, message: 'not found' },
        error: `services "${canary.spec.targetRef.name}" not found`,
      };
    }
    return { exists: true, replicas: 1, templateHash: this.revision(canary, svc), readiness: { ready: true } };
  }

  observePrimary(canary: Canary): WorkloadObservation {
    const name = this.copyName(canary, 'primary');
    const svc = this.store.get<Service>('Service', canary.metadata.namespace, name);
    if (!svc) {
      return {
        exists: false,
        replicas: 0,
        readiness: {
          ready: false,
          retriable: true,
          message: `${name}.${canary.metadata.namespace} not ready: not found`,
        },
      };
    }
    return { exists: true, replicas: 1, readiness: { ready: true } };
  }

  private requireTarget(canary: Canary): Service {
    const svc = this.target(canary);
    if (!svc)
      throw new Error(
        `service ${canary.spec.targetRef.name}.${canary.metadata.namespace} get query error: services "${canary.spec.targetRef.name}" not found`,
      );
    return svc;
  }

  /** Flagger `buildService`: the target's spec and metadata under another name (no cluster IP of its own yet) */
  private build(canary: Canary, name: string, src: Service): Service {
    const copy = withoutStatus(src);
    const annotations: Record<string, string> = { ...copy.metadata.annotations, [MANAGED_BY_ANNOTATION]: MANAGED_BY };
    delete annotations[LAST_APPLIED];
    const spec = { ...copy.spec };
    delete spec.clusterIP;
    delete spec.clusterIPs;
    if (src.spec.clusterIP === 'None') spec.clusterIP = 'None';
    const td = canary.spec.service.trafficDistribution;
    if (td !== undefined) spec.trafficDistribution = td;
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace: canary.metadata.namespace,
        ...(copy.metadata.labels ? { labels: { ...copy.metadata.labels } } : {}),
        annotations,
      },
      spec,
    };
  }

  /** create or update `want` (and, without a selector, its slices) when it differs from what is there */
  private async write(canary: Canary, want: Service, src: Service): Promise<void> {
    const ns = canary.metadata.namespace;
    const have = this.store.get<Service>('Service', ns, want.metadata.name);
    const same =
      have !== undefined &&
      sameJson({ ...have.spec, clusterIP: undefined, clusterIPs: undefined }, { ...want.spec, clusterIP: undefined }) &&
      have.spec.clusterIP === want.spec.clusterIP &&
      sameJson(have.metadata.labels ?? {}, want.metadata.labels ?? {}) &&
      sameJson(have.metadata.annotations ?? {}, want.metadata.annotations ?? {});
    if (!same) await this.store.apply(want, { manager: MANAGED_BY });
    await this.copySlices(ns, src, want.metadata.name, want.metadata.name.slice(src.metadata.name.length));
  }

  /** the target's EndpointSlices, copied for `service` (suffix `-primary`/`-canary`); stale copies removed */
  private async copySlices(ns: string, src: Service, service: string, suffix: string): Promise<void> {
    const wanted = hasSelector(src) ? [] : slicesOf(this.store, ns, src.metadata.name);
    const names = new Set<string>();
    for (const slice of wanted) {
      const copy = withoutStatus(slice);
      const name = `${slice.metadata.name}${suffix}`;
      names.add(name);
      copy.metadata = {
        name,
        namespace: ns,
        labels: { ...slice.metadata.labels, [SERVICE_NAME_LABEL]: service },
        annotations: { [MANAGED_BY_ANNOTATION]: MANAGED_BY },
      };
      const have = this.store.get<EndpointSlice>('EndpointSlice', ns, name);
      if (
        have &&
        sameJson(have.endpoints, copy.endpoints) &&
        sameJson(have.ports, copy.ports) &&
        have.addressType === copy.addressType
      )
        continue;
      await this.store.apply(copy, { manager: MANAGED_BY });
    }
    for (const old of slicesOf(this.store, ns, service)) {
      if (!names.has(old.metadata.name) && owned(old)) await this.store.delete('EndpointSlice', ns, old.metadata.name);
    }
  }

  /** Flagger `reconcileCanaryService`: `<target>-canary` follows the target on every tick */
  async reconcileServices(canary: Canary): Promise<void> {
    const src = this.requireTarget(canary);
    await this.write(canary, this.build(canary, this.copyName(canary, 'canary'), src), src);
  }

  /** Flagger `KubernetesNoopRouter`: a Service target has no apex Service to point anywhere */
  async reconcileApexService(): Promise<void> {}

  /** Flagger `reconcilePrimaryService`: `<target>-primary` made once, from the target as it is then */
  async createPrimary(canary: Canary): Promise<void> {
    if (this.store.get('Service', canary.metadata.namespace, this.copyName(canary, 'primary'))) return;
    const src = this.requireTarget(canary);
    await this.write(canary, this.build(canary, this.copyName(canary, 'primary'), src), src);
  }

  /** Flagger `Promote`: the target's spec, labels and annotations to `<target>-primary` (its cluster IP kept) */
  async promote(canary: Canary): Promise<void> {
    const src = this.requireTarget(canary);
    const name = this.copyName(canary, 'primary');
    if (!this.store.get('Service', canary.metadata.namespace, name))
      throw new Error(`service ${name}.${canary.metadata.namespace} get query error: not found`);
    await this.write(canary, this.build(canary, name, src), src);
  }

  /** a Service is not scaled (Flagger `ScaleToZero`/`ScaleFromZero` do nothing) */
  async scaleTarget(): Promise<void> {}

  async revertTarget(): Promise<void> {}

  /** `revertOnDeletion`: the copies (and their slices) go with the canary; the target was never changed */
  async release(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    for (const which of ['canary', 'primary'] as const) {
      const name = this.copyName(canary, which);
      for (const s of slicesOf(this.store, ns, name))
        if (owned(s)) await this.store.delete('EndpointSlice', ns, s.metadata.name);
      const svc = this.store.get('Service', ns, name);
      if (svc && owned(svc)) await this.store.delete('Service', ns, name);
    }
  }

  podSelector(canary: Canary, which: 'canary' | 'primary'): Record<string, string> | undefined {
    const svc = this.store.get<Service>('Service', canary.metadata.namespace, this.copyName(canary, which));
    return svc?.spec.selector;
  }
}

function owned(o: KubeObject): boolean {
  return o.metadata.annotations?.[MANAGED_BY_ANNOTATION] === MANAGED_BY;
}
