import type { MetricObservation } from '../analysis/thresholds.js';
import type { Canary, CanaryStatus, WebhookType } from '../resources/index.js';
import type { Action } from './actions.js';
import type { CanaryAlertNote, CanaryEvent } from './events.js';
import type { ReleaseDirective } from './release.js';

/**
 * Readiness of a workload as Flagger's `IsPrimaryReady`/`IsCanaryReady` answer it: not ready and
 * retriable = wait (no failed check); not retriable = give up (progress deadline exceeded).
 */
export type Readiness = { ready: true } | { ready: false; retriable: boolean; message: string; pod?: PodFailure };

/** Why a pod of the workload cannot start, as its container status says (Flagger #1533). */
export interface PodFailure {
  pod: string;
  /** the container's waiting reason: `CrashLoopBackOff`, `CreateContainerConfigError`, `ImagePullBackOff`... */
  reason: string;
  /** the waiting message and the last termination (exit code and message) */
  message: string;
}

export interface WorkloadObservation {
  exists: boolean;
  /** `spec.replicas` */
  replicas: number;
  /** FNV-32a hash of the pod template (see revision.ts); required for the target */
  templateHash?: string;
  /**
   * the target's `status.trackedConfigs` as they are now (configs.ts `trackedConfigs`): `configmap/<name>` or
   * `secret/<name>` -> checksum. Undefined when the adapter does not track configs.
   */
  trackedConfigs?: Record<string, string>;
  readiness: Readiness;
  /** why `exists` is false, for the event */
  error?: string;
}

/** Weights read back from the router: the route is the source of truth, not `status.canaryWeight`. */
export interface RouteWeights {
  primary: number;
  canary: number;
  mirrored?: boolean;
}

/** Result of one webhook call (reference 4): ok = HTTP status <= 202. */
export interface HookResult {
  name: string;
  ok: boolean;
  /** error text (response body or transport error) when not ok */
  message?: string;
}

/**
 * A breach the fast-rollback watcher (rollouts/fast-rollback/) found between ticks: the decision of
 * `judgeFastRollback` (engine/analysis/fast-rollback.ts) for the run of `revision`.
 */
export interface FastRollbackObservation {
  /** `status.lastAppliedSpec` of the run the counts belong to: a breach of an older run is ignored */
  revision: string;
  /** the decision's one-line reason (counts, bound, threshold) */
  reason: string;
  total: number;
  failures: number;
  upperPercent: number;
  thresholdPercent: number;
  /** when the watcher decided (RFC 3339) */
  at: string;
}

/** What the controller measured for this tick; missing entries are asked for through a `Need`. */
export interface Observations {
  metrics?: MetricObservation[];
  /** Weir's fast rollback: the watcher found a breach beyond doubt (fast-rollback.ts); never asked for */
  fastRollback?: FastRollbackObservation;
  hooks?: Partial<Record<WebhookType, HookResult[]>>;
}

export interface AdvanceInput {
  /** spec and current status (status may be absent for a new Canary) */
  canary: Canary;
  target: WorkloadObservation;
  primary: WorkloadObservation;
  /** undefined when the route does not exist yet: it is created at 100/0 by this tick's `reconcileRoute` */
  routes?: RouteWeights;
  observations: Observations;
  now: Date;
  /**
   * random values for new session-affinity cookies (session.ts), used only when a run needs one; without
   * them a value is derived from the canary, the revision and the time
   */
  sessionTokens?: { canary: string; primary: string };
  /**
   * coordinated canaries (release.ts): what the release's coordinator decided for this member's tick. `hold`
   * stops the tick before its step (the step is not taken; gates and failed checks are as without it);
   * `rollback` rolls a running (or starting) member back with the release's reason
   */
  release?: ReleaseDirective;
}

/**
 * Something the tick cannot decide without: the controller fulfils it (queries the metrics, calls the
 * hooks of that type) and calls `advance` again with the answer in `observations`. Nothing of the first,
 * incomplete call is applied, so a need costs nothing but the recomputation.
 */
export type Need = { kind: 'metrics' } | { kind: 'hooks'; hookType: WebhookType };

export type AdvanceResult =
  | {
      kind: 'done';
      status: CanaryStatus;
      actions: Action[];
      events: CanaryEvent[];
      alerts: CanaryAlertNote[];
      /**
       * the tick took a step of the analysis (a new weight or iteration, promotion, the traffic shift back,
       * finalising), or with a `hold` directive would have: what a release's coordinator compares
       */
      stepped?: true;
    }
  | { kind: 'need'; need: Need };
