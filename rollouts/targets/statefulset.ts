import type { Readiness } from '../../engine/canary/index.js';
import type { Canary, LabelSelector, PodTemplate, StatefulSet } from '../../engine/resources/index.js';
import { withoutStatus } from './objects.js';
import { WorkloadTarget } from './workload-target.js';

/**
 * A StatefulSet is ready as a Deployment is: its generation observed, every replica updated (the update
 * revision), and `readyThreshold`% of them ready.
 */
export function statefulSetReadiness(s: StatefulSet, threshold: number): Readiness {
  const st = s.status ?? {};
  if ((s.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return {
      ready: false,
      retriable: true,
      message: 'waiting for rollout to finish: observed statefulset generation less than desired generation',
    };
  }
  const replicas = s.spec.replicas;
  const updated = st.updatedReplicas ?? 0;
  if (updated < replicas) {
    return {
      ready: false,
      retriable: true,
      message: `waiting for rollout to finish: ${updated} out of ${replicas} new pods have been updated`,
    };
  }
  if ((st.replicas ?? updated) > replicas) {
    return {
      ready: false,
      retriable: true,
      message: `waiting for rollout to finish: ${(st.replicas ?? 0) - replicas} pods are pending termination`,
    };
  }
  const needed = Math.floor((replicas * threshold) / 100);
  const ready = st.availableReplicas ?? st.readyReplicas ?? 0;
  if (ready < needed) {
    return {
      ready: false,
      retriable: true,
      message: `waiting for rollout to finish: ${ready} of ${needed} (readyThreshold ${threshold}%) updated pods are ready`,
    };
  }
  return { ready: true };
}

/**
 * StatefulSets as canary targets (a Weir addition; Flagger #410): a `<name>-primary` StatefulSet copy whose
 * pods are `<name>-primary-0..n-1`, the target's pods `<name>-0..`, each with its stable name. Promotion copies
 * the template, the replicas (without an autoscaler), `minReadySeconds` and the update strategy; the pods then
 * roll one at a time from the highest ordinal, as the StatefulSet controller does. A canary that never gets
 * ready rolls back at `progressDeadlineSeconds` (the scheduler's stall rule: a StatefulSet has no
 * `Progressing` condition).
 */
export class StatefulSetTarget extends WorkloadTarget<StatefulSet> {
  readonly kind = 'StatefulSet';
  protected readonly noun = 'statefulset';
  protected readonly resource = 'statefulsets.apps';

  protected replicasOf(s: StatefulSet): number {
    return s.spec.replicas;
  }

  protected readiness(s: StatefulSet, threshold: number): Readiness {
    return statefulSetReadiness(s, threshold);
  }

  protected withReplicas(s: StatefulSet, replicas: number): StatefulSet | undefined {
    if (s.spec.replicas === replicas) return undefined;
    const next = withoutStatus(s);
    next.spec.replicas = replicas;
    return next;
  }

  protected newPrimarySpec(s: StatefulSet, selector: LabelSelector, template: PodTemplate): StatefulSet['spec'] {
    return { ...structuredClone(s.spec), replicas: s.spec.replicas > 0 ? s.spec.replicas : 1, selector, template };
  }

  protected promotedSpec(
    primary: StatefulSet,
    s: StatefulSet,
    template: PodTemplate,
    canary: Canary,
  ): StatefulSet['spec'] {
    const spec = structuredClone(primary.spec);
    spec.template = template;
    if (canary.spec.autoscalerRef === undefined && s.spec.replicas > 0) spec.replicas = s.spec.replicas;
    spec.minReadySeconds = s.spec.minReadySeconds;
    if (s.spec.updateStrategy !== undefined) spec.updateStrategy = structuredClone(s.spec.updateStrategy);
    return spec;
  }
}
