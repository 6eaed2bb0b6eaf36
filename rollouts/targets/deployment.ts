import type { Readiness } from '../../engine/canary/index.js';
import type { Canary, Deployment, LabelSelector, PodTemplate } from '../../engine/resources/index.js';
import { apexServiceName } from './objects.js';
import { deploymentReadiness } from './pods.js';
import { WorkloadTarget } from './workload-target.js';
import { withoutStatus } from './objects.js';

export { apexServiceName };
export {
  deploymentReadiness,
  FLAGGER_ID_ANNOTATION,
  MANAGED_BY,
  MANAGED_BY_ANNOTATION,
  podFailure,
  primaryName,
  revisionId,
  secretData,
  SELECTOR_LABELS,
  selectorLabel,
} from './pods.js';

/** Deployments as canary targets, over the store (Flagger `DeploymentController`). */
export class DeploymentTarget extends WorkloadTarget<Deployment> {
  readonly kind = 'Deployment';
  protected readonly noun = 'deployment';
  protected readonly resource = 'deployments.apps';

  protected replicasOf(d: Deployment): number {
    return d.spec.replicas;
  }

  protected readiness(d: Deployment, threshold: number, canary: Canary, now: Date): Readiness {
    return deploymentReadiness(d, threshold, canary.spec.progressDeadlineSeconds, now);
  }

  protected withReplicas(d: Deployment, replicas: number): Deployment | undefined {
    if (d.spec.replicas === replicas) return undefined;
    const next = withoutStatus(d);
    next.spec.replicas = replicas;
    return next;
  }

  protected newPrimarySpec(d: Deployment, selector: LabelSelector, template: PodTemplate): Deployment['spec'] {
    return {
      ...structuredClone(d.spec),
      replicas: d.spec.replicas > 0 ? d.spec.replicas : 1,
      selector,
      template,
    };
  }

  protected promotedSpec(
    primary: Deployment,
    d: Deployment,
    template: PodTemplate,
    canary: Canary,
  ): Deployment['spec'] {
    const spec = structuredClone(primary.spec);
    spec.template = template;
    if (canary.spec.autoscalerRef === undefined && d.spec.replicas > 0) spec.replicas = d.spec.replicas;
    spec.progressDeadlineSeconds = d.spec.progressDeadlineSeconds;
    spec.minReadySeconds = d.spec.minReadySeconds;
    if (d.spec.strategy !== undefined) spec.strategy = structuredClone(d.spec.strategy);
    return spec;
  }
}
