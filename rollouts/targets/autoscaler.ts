import type { Canary, HorizontalPodAutoscaler } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { sameJson, withoutStatus } from './objects.js';
import { MANAGED_BY, MANAGED_BY_ANNOTATION, primaryName } from './pods.js';

/**
 * Flagger's `HPAReconciler` (`pkg/canary/hpa_reconciler.go`): for `autoscalerRef` of kind
 * HorizontalPodAutoscaler, a `<hpa>-primary` copy whose `scaleTargetRef` is the `-primary` workload, with the
 * target HPA's min/max replicas (or `primaryScalerReplicas`), metrics and behavior. Created when the canary
 * initializes; brought to the target HPA's spec and labels at promotion. ScaledObject (KEDA) references are
 * accepted with a warning and not acted on.
 */
export class PrimaryScaler {
  constructor(private readonly store: ResourceStore) {}

  private hpa(canary: Canary): HorizontalPodAutoscaler | undefined {
    const ref = canary.spec.autoscalerRef;
    if (ref?.kind !== 'HorizontalPodAutoscaler') return undefined;
    return this.store.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', canary.metadata.namespace, ref.name);
  }

  static primaryHpaName(canary: Canary): string | undefined {
    const ref = canary.spec.autoscalerRef;
    return ref?.kind === 'HorizontalPodAutoscaler' ? `${ref.name}-primary` : undefined;
  }

  /** Flagger `ReconcilePrimaryScaler(cd, init)`: create the copy when missing; with `init` false, update it too */
  async reconcile(canary: Canary, init: boolean): Promise<void> {
    const ref = canary.spec.autoscalerRef;
    if (ref?.kind !== 'HorizontalPodAutoscaler') return;
    const ns = canary.metadata.namespace;
    const hpa = this.hpa(canary);
    if (!hpa) throw new Error(`HorizontalPodAutoscaler ${ref.name}.${ns} get query error: not found`);
    const name = `${ref.name}-primary`;
    const spec: HorizontalPodAutoscaler['spec'] = {
      ...structuredClone(hpa.spec),
      scaleTargetRef: { ...hpa.spec.scaleTargetRef, name: primaryName(canary) },
    };
    const replicas = ref.primaryScalerReplicas;
    if (replicas?.minReplicas !== undefined) spec.minReplicas = replicas.minReplicas;
    if (replicas?.maxReplicas !== undefined) spec.maxReplicas = replicas.maxReplicas;
    const labels = hpa.metadata.labels;
    const have = this.store.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', ns, name);
    if (have && (init || (sameJson(have.spec, spec) && sameJson(have.metadata.labels, labels)))) return;
    const want: HorizontalPodAutoscaler = have
      ? { ...withoutStatus(have), spec }
      : {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name, namespace: ns, annotations: { [MANAGED_BY_ANNOTATION]: MANAGED_BY } },
          spec,
        };
    if (labels) want.metadata = { ...want.metadata, labels: { ...labels } };
    else delete want.metadata.labels;
    await this.store.apply(want, { manager: MANAGED_BY });
  }

  /**
   * Flagger `ScaleFromZero` with an HPA: a target scaled up from zero gets the HPA's `minReplicas` when that is
   * more than the one replica the scheduler asks for.
   */
  scaleFromZero(canary: Canary, replicas: number): number {
    const hpa = this.hpa(canary);
    if (!hpa || replicas !== 1) return replicas;
    return Math.max(replicas, hpa.spec.minReplicas);
  }

  /** `revertOnDeletion`: the copy goes with the canary (its owner on a cluster) */
  async remove(canary: Canary): Promise<void> {
    const name = PrimaryScaler.primaryHpaName(canary);
    if (name === undefined) return;
    const have = this.store.get('HorizontalPodAutoscaler', canary.metadata.namespace, name);
    if (have?.metadata.annotations?.[MANAGED_BY_ANNOTATION] === MANAGED_BY)
      await this.store.delete('HorizontalPodAutoscaler', canary.metadata.namespace, name);
  }
}
