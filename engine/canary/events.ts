/**
 * Flagger's Kubernetes event messages (`pkg/controller/scheduler*.go`, reference 5.2), verbatim. Every
 * event has reason `Synced` and involves the Canary; `Normal` for info, `Warning` for warnings and errors.
 */
export type CanaryEventType = 'Normal' | 'Warning';

export interface CanaryEvent {
  type: CanaryEventType;
  /** Flagger's `Synced`; Weir's fast rollback records its own reason, `FastRollback` */
  reason: 'Synced' | 'FastRollback';
  message: string;
}

/** Names as the messages use them: the Canary, its namespace, the target workload and its primary. */
export interface CanaryNames {
  canary: string;
  namespace: string;
  target: string;
  primary: string;
}

/**
 * A notification for the Canary's `analysis.alerts` (Flagger's `c.alert(canary, message, metadata, severity)`):
 * sent to each AlertProvider whose alert severity admits it. `metadata` asks for the target/threshold fields.
 */
export interface CanaryAlertNote {
  severity: 'info' | 'warn' | 'error';
  message: string;
  metadata?: boolean;
}

/** Flagger's alert messages (`pkg/controller/scheduler*.go`). */
export const alertMessages = {
  initialized: (kind: string) => `New ${kind} detected, initialization completed.`,
  newRevision: () => 'New revision detected, progressing canary analysis.',
  waitingApproval: () => 'Canary is waiting for approval.',
  waitingPromotionApproval: () => 'Canary promotion is waiting for approval.',
  waitingTrafficApproval: () => 'Canary traffic increase is waiting for approval.',
  thresholdReached: (failed: number) => `Failed checks threshold reached ${failed}`,
  manualRollback: () => 'Rolling back manual webhook invoked',
  progressDeadline: (err: string) => `Progress deadline exceeded ${err}`,
  promotionFailed: (err: string) => `Canary promotion failed: ${err}`,
  succeeded: () => 'Canary analysis completed successfully, promotion finished.',
  skipped: () => 'Canary analysis was skipped, promotion finished.',
  manualAbort: () => 'Canary aborted manually, rolling back.',
  manualPromote: () => 'Canary promoted manually, skipping the remaining analysis.',
  fastRollback: (reason: string) => `Fast rollback: ${reason}`,
  // Weir additions: failure paths Flagger users ask alerts for (#1663, #1816, #1533)
  preRolloutFailed: (hook: string, err: string) => `Pre-rollout check ${hook} failed${err ? `: ${err}` : ''}`,
  podCannotStart: (pod: string, reason: string, message: string) =>
    `Canary pod ${pod} cannot start: ${reason}${message ? `: ${message}` : ''}`,
};

export const normal = (message: string): CanaryEvent => ({ type: 'Normal', reason: 'Synced', message });
export const warning = (message: string): CanaryEvent => ({ type: 'Warning', reason: 'Synced', message });

export const messages = {
  suspended: () => 'skipping canary run as object is suspended',
  /** `revertOnDeletion` (`pkg/controller/finalizer.go`, `controller.go`) */
  terminating: (n: Pick<CanaryNames, 'canary' | 'namespace'>) => `Terminating canary ${n.canary}.${n.namespace}`,
  terminated: (n: Pick<CanaryNames, 'canary' | 'namespace'>) => `Terminated canary ${n.canary}.${n.namespace}`,
  initializationDone: (n: CanaryNames) => `Initialization done! ${n.canary}.${n.namespace}`,
  newRevision: (n: CanaryNames) => `New revision detected! Scaling up ${n.target}.${n.namespace}`,
  restartAnalysis: (n: CanaryNames) => `New revision detected! Restarting analysis for ${n.target}.${n.namespace}`,
  startingAnalysis: (n: CanaryNames) => `Starting canary analysis for ${n.target}.${n.namespace}`,
  advanceCanaryWeight: (n: CanaryNames, w: number) => `Advance ${n.canary}.${n.namespace} canary weight ${w}`,
  advanceIteration: (n: CanaryNames, i: number, of: number) =>
    `Advance ${n.canary}.${n.namespace} canary iteration ${i}/${of}`,
  advancePrimaryWeight: (n: CanaryNames, w: number) => `Advance ${n.canary}.${n.namespace} primary weight ${w}`,
  copyingTemplate: (n: CanaryNames) =>
    `Copying ${n.target}.${n.namespace} template spec to ${n.primary}.${n.namespace}`,
  routingAllToPrimary: () => 'Routing all traffic to primary',
  routingAllToCanary: () => 'Routing all traffic to canary',
  stopMirroring: () => 'Stop traffic mirroring and route all traffic to canary',
  promotionCompleted: (n: CanaryNames) => `Promotion completed! Scaling down ${n.target}.${n.namespace}`,
  promotionSkipped: (n: CanaryNames) =>
    `Promotion completed! Canary analysis was skipped for ${n.target}.${n.namespace}`,
  thresholdReached: (n: CanaryNames, failed: number) =>
    `Rolling back ${n.canary}.${n.namespace} failed checks threshold reached ${failed}`,
  manualRollback: (n: CanaryNames) => `Rolling back ${n.canary}.${n.namespace} manual webhook invoked`,
  progressDeadline: (n: CanaryNames, err: string) =>
    `Rolling back ${n.canary}.${n.namespace} progress deadline exceeded ${err}`,
  canaryFailed: (n: CanaryNames) => `Canary failed! Scaling down ${n.canary}.${n.namespace}`,
  promotionFailed: (n: CanaryNames, err: string) =>
    `Promotion of ${n.canary}.${n.namespace} failed, primary not ready: ${err}`,
  waitingApproval: (n: CanaryNames, hook: string) =>
    `Halt ${n.canary}.${n.namespace} advancement waiting for approval ${hook}`,
  waitingPromotionApproval: (n: CanaryNames, hook: string) =>
    `Halt ${n.canary}.${n.namespace} advancement waiting for promotion approval ${hook}`,
  waitingTrafficApproval: (n: CanaryNames, hook: string) =>
    `Halt ${n.canary}.${n.namespace} advancement waiting for traffic increase approval ${hook}`,
  preRolloutFailed: (n: CanaryNames, hook: string, err: string) =>
    `Halt ${n.canary}.${n.namespace} advancement pre-rollout check ${hook} failed ${err}`,
  externalCheckFailed: (n: CanaryNames, hook: string, err: string) =>
    `Halt ${n.canary}.${n.namespace} advancement external check ${hook} failed ${err}`,
  preRolloutPassed: (hook: string) => `Pre-rollout check ${hook} passed`,
  confirmRolloutPassed: (hook: string) => `Confirm-rollout check ${hook} passed`,
  confirmTrafficPassed: (hook: string) => `Confirm-traffic-increase check ${hook} passed`,
  confirmPromotionPassed: (hook: string) => `Confirm-promotion check ${hook} passed`,
  postRolloutPassed: (hook: string) => `Post-rollout check ${hook} passed`,
  postRolloutFailed: (hook: string, err: string) => `Post-rollout hook ${hook} failed ${err}`,
  rollbackHookNotSignaling: (hook: string) => `Rollback hook ${hook} not signaling a rollback`,
  targetNotFound: (kind: string, n: CanaryNames, err: string) =>
    `${kind.toLowerCase()} ${n.target}.${n.namespace} get query error: ${err}`,
  // Weir's manual control (manual.ts)
  manualPromote: (n: CanaryNames) => `Promoting ${n.canary}.${n.namespace} manually, skipping the remaining analysis`,
  manualAbort: (n: CanaryNames) => `Rolling back ${n.canary}.${n.namespace} aborted manually`,
  manualRetry: (n: CanaryNames, rev: string) => `Retrying ${n.canary}.${n.namespace} revision ${rev} manually`,
  // Weir's fast rollback (fast-rollback.ts)
  fastRollback: (n: CanaryNames, reason: string) => `Rolling back ${n.canary}.${n.namespace} fast rollback: ${reason}`,
  manualIgnored: (n: CanaryNames, action: string, why: string) =>
    `Manual ${action} of ${n.canary}.${n.namespace} ignored: ${why}`,
};
