import type { Readiness } from '../../engine/canary/index.js';
import type { Canary, DaemonSet, LabelSelector, PodTemplate } from '../../engine/resources/index.js';
import { withoutStatus } from './objects.js';
import { WorkloadTarget } from './workload-target.js';

/**
 * Flagger's way to scale a DaemonSet to zero: a node selector no node matches
 * (`daemonSetScaleDownNodeSelector` in `pkg/canary/daemonset_controller.go`).
 */
export const SCALE_TO_ZERO_NODE_SELECTOR: Readonly<Record<string, string>> = { 'flagger.app/scale-to-zero': 'true' };

type NodeSelectorSpec = { nodeSelector?: Record<string, string> };

function nodeSelector(t: PodTemplate): Record<string, string> | undefined {
  return (t.spec as NodeSelectorSpec).nodeSelector;
}

function scaledDown(d: DaemonSet): boolean {
  const sel = nodeSelector(d.spec.template) ?? {};
  return Object.entries(SCALE_TO_ZERO_NODE_SELECTOR).every(([k, v]) => sel[k] === v);
}

/** the template without Flagger's scale-to-zero node selector (and no empty `nodeSelector` left behind) */
function withoutScaleDown(t: PodTemplate): PodTemplate {
  const copy = structuredClone(t);
  const spec = copy.spec as NodeSelectorSpec;
  if (spec.nodeSelector === undefined) return copy;
  for (const k of Object.keys(SCALE_TO_ZERO_NODE_SELECTOR)) delete spec.nodeSelector[k];
  if (Object.keys(spec.nodeSelector).length === 0) delete spec.nodeSelector;
  return copy;
}

/**
 * Flagger `isDaemonSetReady`: every desired pod updated, and `readyThreshold`% of them available; past the
 * canary's `progressDeadlineSeconds` since its last transition, not retriable.
 */
export function daemonSetReadiness(d: DaemonSet, threshold: number, canary: Canary, now: Date): Readiness {
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return {
      ready: false,
      retriable: true,
      message: 'waiting for rollout to finish: observed daemonset generation less than desired generation',
    };
  }
  const desired = st.desiredNumberScheduled ?? 0;
  const updated = st.updatedNumberScheduled ?? 0;
  const available = st.numberAvailable ?? 0;
  const needed = Math.floor((desired * threshold) / 100);
  const notUpdated = updated < desired;
  const notAvailable = available < needed;
  if (!notUpdated && !notAvailable) return { ready: true };
  const from = canary.status?.lastTransitionTime ? Date.parse(canary.status.lastTransitionTime) : NaN;
  if (!Number.isNaN(from) && from + canary.spec.progressDeadlineSeconds * 1000 < now.getTime()) {
    return {
      ready: false,
      retriable: false,
      message: `exceeded its progressDeadlineSeconds: ${canary.spec.progressDeadlineSeconds}`,
    };
  }
  return notUpdated
    ? {
        ready: false,
        retriable: true,
        message: `waiting for rollout to finish: ${updated} out of ${desired} new pods have been updated`,
      }
    : {
        ready: false,
        retriable: true,
        message: `waiting for rollout to finish: ${available} of ${needed} (readyThreshold ${threshold}%) updated pods are available`,
      };
}

/**
 * DaemonSets as canary targets (Flagger `DaemonSetController`). A DaemonSet has no replicas: it is "scaled
 * to zero" with a node selector that no node matches, and back by removing it; the revision hash leaves that
 * selector out. Locally the runtime is one node, so a DaemonSet runs one pod (zero while scaled down).
 */
export class DaemonSetTarget extends WorkloadTarget<DaemonSet> {
  readonly kind = 'DaemonSet';
  protected readonly noun = 'daemonset';
  protected readonly resource = 'daemonsets.apps';

  protected replicasOf(d: DaemonSet): number {
    return scaledDown(d) ? 0 : 1;
  }

  protected readiness(d: DaemonSet, threshold: number, canary: Canary, now: Date): Readiness {
    return daemonSetReadiness(d, threshold, canary, now);
  }

  protected override revisionTemplate(d: DaemonSet): PodTemplate {
    return withoutScaleDown(d.spec.template);
  }

  protected withReplicas(d: DaemonSet, replicas: number): DaemonSet | undefined {
    if ((replicas === 0) === scaledDown(d)) return undefined;
    const next = withoutStatus(d);
    if (replicas === 0) {
      const spec = next.spec.template.spec as NodeSelectorSpec;
      spec.nodeSelector = { ...spec.nodeSelector, ...SCALE_TO_ZERO_NODE_SELECTOR };
    } else next.spec.template = withoutScaleDown(next.spec.template);
    return next;
  }

  protected newPrimarySpec(
    d: DaemonSet,
    selector: LabelSelector,
    template: PodTemplate,
    canary: Canary,
  ): DaemonSet['spec'] {
    if (d.spec.updateStrategy?.type !== undefined && d.spec.updateStrategy.type !== 'RollingUpdate')
      throw new Error(
        `daemonset ${d.metadata.name}.${canary.metadata.namespace} must have RollingUpdate strategy but have ${d.spec.updateStrategy.type}`,
      );
    return { ...structuredClone(d.spec), selector, template };
  }

  protected promotedSpec(primary: DaemonSet, d: DaemonSet, template: PodTemplate): DaemonSet['spec'] {
    const spec = structuredClone(primary.spec);
    spec.template = template;
    spec.minReadySeconds = d.spec.minReadySeconds;
    spec.revisionHistoryLimit = d.spec.revisionHistoryLimit;
    spec.updateStrategy = structuredClone(d.spec.updateStrategy);
    if (spec.revisionHistoryLimit === undefined) delete spec.revisionHistoryLimit;
    if (spec.updateStrategy === undefined) delete spec.updateStrategy;
    return spec;
  }
}
