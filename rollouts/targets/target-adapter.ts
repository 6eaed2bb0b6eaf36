import type { WorkloadObservation } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';

/**
 * The workload side of a canary, as Flagger's `canary.Controller` (reference 3.14): observe the target and
 * its `-primary` copy, create/promote the primary, scale the target, and own the generated Services.
 * One implementation per target kind, one file each (`factory.ts`): Deployment, DaemonSet, StatefulSet, Service.
 */
export interface TargetAdapter {
  readonly kind: string;
  /** the target (canary) workload: existence, replicas, pod-template hash, readiness */
  observeTarget(canary: Canary, now: Date): WorkloadObservation;
  /** the `<target>-primary` workload */
  observePrimary(canary: Canary, now: Date): WorkloadObservation;
  /** `<svc>-primary` and `<svc>-canary` */
  reconcileServices(canary: Canary): Promise<void>;
  /**
   * the apex `<svc>`: created when the user did not define it; a user-defined one keeps its metadata but its
   * selector and port are Flagger's (the primary's pods), as Flagger's `kubeRouter.Reconcile` does
   */
  reconcileApexService(canary: Canary): Promise<void>;
  /** create `<target>-primary` from the target when missing */
  createPrimary(canary: Canary): Promise<void>;
  /** copy the target's template (and replicas, strategy, deadlines) to the primary */
  promote(canary: Canary): Promise<void>;
  /** `autoscalerRef`: the `-primary` copy of the autoscaler (kinds without replicas have none) */
  reconcilePrimaryScaler?(canary: Canary, init: boolean): Promise<void>;
  /** set the target's replicas */
  scaleTarget(canary: Canary, replicas: number): Promise<void>;
  /**
   * `revertOnDeletion`, first half (Flagger `Finalize`): the target back to the primary's replicas (at least
   * one when there is no primary), so that it can serve again
   */
  revertTarget(canary: Canary): Promise<void>;
  /**
   * `revertOnDeletion`, second half, once the target is ready: the apex Service selects the target's pods
   * again, and what the controller generated for the canary (the primary and its config copies, the
   * `-primary`/`-canary` Services) is deleted, as a cluster's garbage collector deletes what a Canary owns
   */
  release(canary: Canary): Promise<void>;
  /** labels selecting the pods of a workload of this canary ('canary' = the target), for metrics */
  podSelector(canary: Canary, which: 'canary' | 'primary'): Record<string, string> | undefined;
}
