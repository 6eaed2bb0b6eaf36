import { createHash } from 'node:crypto';
import type { PodFailure, Readiness } from '../../engine/canary/index.js';
import { templateHash } from '../../engine/canary/index.js';
import {
  ANNOTATION_MANAGED_BY,
  type Canary,
  type Deployment,
  type LabelSelector,
  type Pod,
  type Secret,
} from '../../engine/resources/index.js';

/** What every workload target shares: the selector label, readiness, pods that cannot start, revision ids. */

/** Flagger's `-selector-labels` default: the first of these found in the target's selector names the app. */
export const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;
/** set on objects the controller generated (so an apex Service it created stays managed) */
export const MANAGED_BY_ANNOTATION = ANNOTATION_MANAGED_BY;
export const MANAGED_BY = 'canary-controller';

/**
 * Flagger's pod-template annotation that forces the primary's pods to restart at promotion even when only a
 * tracked ConfigMap or Secret changed (`makeAnnotations` in `pkg/canary/util.go`).
 */
export const FLAGGER_ID_ANNOTATION = 'flagger-id';

/**
 * The `flagger-id` of a revision: a UUID-shaped digest of the target's template and its tracked configs'
 * checksums. Flagger draws a random UUID on every promotion; a digest changes exactly when the revision does,
 * so a promotion repeated for the same revision (a retried tick, a controller restart) restarts nothing.
 */
export function revisionId(template: unknown, tracked: Record<string, string>): string {
  const keys = Object.keys(tracked).sort();
  const h = createHash('sha256')
    .update(JSON.stringify([templateHash(template), keys.map((k) => [k, tracked[k]])]))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function primaryName(canary: Canary): string {
  return `${canary.spec.targetRef.name}-primary`;
}

/** The label that identifies the app and its value, e.g. `app: podinfo` (Flagger `GetMetadata`). */
export function selectorLabel(dep: { spec: { selector: LabelSelector } }): { key: string; value: string } | undefined {
  const labels = dep.spec.selector.matchLabels ?? {};
  for (const key of SELECTOR_LABELS) {
    const value = labels[key];
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  lastUpdateTime?: string;
}

/**
 * Flagger `isDeploymentReady` (reference 3.9) with its messages. `readyThreshold` is the percentage of
 * updated replicas that must be available; `deadlineSeconds` the canary's progressDeadlineSeconds.
 */
export function deploymentReadiness(
  dep: Deployment,
  readyThreshold: number,
  deadlineSeconds: number,
  now: Date,
): Readiness {
  const st = dep.status ?? {};
  const generation = dep.metadata.generation ?? 0;
  if (generation > (st.observedGeneration ?? 0)) {
    return {
      ready: false,
      retriable: true,
      message: 'waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  const conditions = (st.conditions ?? []) as DeploymentCondition[];
  const progress = conditions.find((c) => c.type === 'Progressing');
  let retriable = true;
  if (progress) {
    const available = conditions.find((c) => c.type === 'Available');
    if (
      available?.status === 'False' &&
      available.reason === 'MinimumReplicasUnavailable' &&
      available.lastUpdateTime
    ) {
      retriable = Date.parse(available.lastUpdateTime) + deadlineSeconds * 1000 >= now.getTime();
    }
    if (progress.reason === 'ProgressDeadlineExceeded') {
      return {
        ready: false,
        retriable: false,
        message: `deployment "${dep.metadata.name}" exceeded its progress deadline`,
      };
    }
  }
  const replicas = dep.spec.replicas;
  const updated = st.updatedReplicas ?? st.readyReplicas ?? 0;
  const total = st.replicas ?? updated;
  const availableReplicas = st.availableReplicas ?? st.readyReplicas ?? 0;
  if (updated < replicas) {
    return {
      ready: false,
      retriable,
      message: `waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated`,
    };
  }
  if (total > updated) {
    return {
      ready: false,
      retriable,
      message: `waiting for rollout to finish: ${total - updated} old replicas are pending termination`,
    };
  }
  const needed = Math.floor((updated * readyThreshold) / 100);
  if (availableReplicas < needed) {
    return {
      ready: false,
      retriable,
      message: `waiting for rollout to finish: ${availableReplicas} of ${needed} (readyThreshold ${readyThreshold}%) updated replicas are available`,
    };
  }
  return { ready: true };
}

/** container waiting reasons that mean the pod cannot start by itself (the kubelet's and the local runtime's) */
const STUCK_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
]);

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

/**
 * The first pod matching `selector` whose container waits for a reason it will not get out of alone, with
 * the waiting message and the last termination (exit code, reason, message: the end of its output).
 */
export function podFailure(pods: readonly Pod[], selector: Record<string, string>): PodFailure | undefined {
  const keys = Object.entries(selector);
  if (keys.length === 0) return undefined;
  for (const pod of pods) {
    if (!keys.every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
    for (const cs of pod.status?.containerStatuses ?? []) {
      const c = cs as { state?: ContainerState; lastState?: ContainerState; restartCount?: number; ready?: boolean };
      let reason = c.state?.waiting?.reason;
      let waiting = c.state?.waiting?.message;
      const crashed = c.lastState?.terminated !== undefined && c.lastState.terminated.exitCode !== 0;
      if ((reason === undefined || !STUCK_REASONS.has(reason)) && crashed && (c.restartCount ?? 0) > 0 && !c.ready) {
        // caught between two crashes (started again after its back-off, not ready yet): still crash-looping,
        // as the kubelet's CrashLoopBackOff between restarts
        reason = 'CrashLoopBackOff';
        waiting = `restarted ${c.restartCount} times`;
      }
      if (reason === undefined || !STUCK_REASONS.has(reason)) continue;
      const parts = [waiting].filter((m): m is string => !!m);
      const last = c.lastState?.terminated;
      if (last) {
        // the termination message in one line: its last lines (where a crash usually says why), at most 500 chars
        const lines = (last.message ?? '')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '');
        const msg = lines.slice(-5).join(' | ').slice(-500);
        parts.push(`last exit code ${last.exitCode ?? '?'} (${last.reason ?? 'Error'})${msg ? `: ${msg}` : ''}`);
      }
      return { pod: pod.metadata.name, reason, message: parts.join('; ') };
    }
  }
  return undefined;
}

/** A Secret's data as the API server keeps it: `stringData` base64-encoded over `data`. */
export function secretData(secret: Secret): Record<string, string> | undefined {
  if (secret.stringData === undefined) return secret.data;
  const out: Record<string, string> = { ...secret.data };
  for (const [k, v] of Object.entries(secret.stringData)) out[k] = Buffer.from(v, 'utf8').toString('base64');
  return out;
}
