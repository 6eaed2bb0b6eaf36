/**
 * The Kubernetes HorizontalPodAutoscaler's replica calculation for CPU (`pkg/controller/podautoscaler`),
 * as a pure function: the local runtime measures, this decides.
 *
 * - utilization = sum of the pods' CPU usage / sum of their CPU requests (percent), over the pods that have a
 *   measurement; ratio = utilization / target (or average usage / target average value);
 * - within the tolerance (|ratio - 1| <= 0.1) nothing changes; else desired = ceil(ratio * pods measured);
 * - stabilization: a scale-down takes the highest recommendation of the scale-down window (default 300 s), a
 *   scale-up the lowest of the scale-up window (default 0 s): replicas do not flap;
 * - clamped to [minReplicas, maxReplicas]; a target scaled to zero is left alone (scaling disabled).
 */

export const HPA_TOLERANCE = 0.1;
export const DEFAULT_CPU_UTILIZATION = 80;
export const DEFAULT_SCALE_DOWN_WINDOW_MS = 300_000;

export interface CpuTarget {
  /** percent of the pods' requests (`Utilization`) */
  averageUtilization?: number;
  /** millicores per pod (`AverageValue`) */
  averageValueMillis?: number;
}

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface HpaInput {
  now: number;
  /** the scale target's `spec.replicas` */
  currentReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  target: CpuTarget;
  /** CPU usage of each pod measured, millicores */
  usageMillis: readonly number[];
  /** CPU request of one pod (sum of its containers'), millicores; 0 or undefined when it has none */
  requestMillis?: number;
  /** earlier recommendations (oldest first), for the stabilization windows */
  recommendations: readonly Recommendation[];
  scaleDownWindowMs?: number;
  scaleUpWindowMs?: number;
  tolerance?: number;
}

export interface HpaDecision {
  desiredReplicas: number;
  /** what the metric alone recommends, before stabilization and limits */
  recommended: number;
  /** the recommendations to keep for the next call */
  recommendations: Recommendation[];
  /** the current average, when measured */
  currentUtilization?: number;
  currentAverageMillis?: number;
  /** why no metric-based decision was made (the condition `ScalingActive` False) */
  inactive?: { reason: string; message: string };
  /** `ScalingLimited` True: the recommendation was clamped to min or max */
  limited?: { reason: 'TooFewReplicas' | 'TooManyReplicas'; message: string };
}

/** `500m` -> 500, `1` -> 1000, `0.25` -> 250, `2k`... not CPU; undefined when unreadable */
export function cpuMillis(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q * 1000;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'm' ? n : n * 1000;
}

export function computeDesiredReplicas(input: HpaInput): HpaDecision {
  const { now, currentReplicas, minReplicas, maxReplicas } = input;
  const tolerance = input.tolerance ?? HPA_TOLERANCE;
  const keepFor = Math.max(input.scaleDownWindowMs ?? DEFAULT_SCALE_DOWN_WINDOW_MS, input.scaleUpWindowMs ?? 0);
  const history = input.recommendations.filter((r) => r.at >= now - keepFor);
  if (currentReplicas === 0) {
    return {
      desiredReplicas: 0,
      recommended: 0,
      recommendations: history,
      inactive: {
        reason: 'ScalingDisabled',
        message: 'scaling is disabled since the replica count of the target is zero',
      },
    };
  }
  let recommended = currentReplicas;
  const out: Partial<HpaDecision> = {};
  const pods = input.usageMillis.length;
  const usage = input.usageMillis.reduce((a, b) => a + b, 0);
  const request = input.requestMillis ?? 0;
  let ratio: number | undefined;
  if (pods === 0) {
    out.inactive = {
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: no CPU measurement for the pods of the target',
    };
  } else if (input.target.averageValueMillis !== undefined) {
    out.currentAverageMillis = usage / pods;
    ratio = out.currentAverageMillis / input.target.averageValueMillis;
  } else if (request <= 0) {
    out.inactive = {
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: missing request for cpu in the pods of the target',
    };
  } else {
    const utilization = (usage / (request * pods)) * 100;
    out.currentAverageMillis = usage / pods;
    out.currentUtilization = Math.round(utilization);
    ratio = utilization / (input.target.averageUtilization ?? DEFAULT_CPU_UTILIZATION);
  }
  if (ratio !== undefined && Math.abs(ratio - 1) > tolerance) recommended = Math.ceil(ratio * pods);
  // stabilization (`stabilizeRecommendationWithBehaviors`): up to the lowest of the up window, down to the
  // highest of the down window, the new recommendation included
  const downWindow = input.scaleDownWindowMs ?? DEFAULT_SCALE_DOWN_WINDOW_MS;
  const upWindow = input.scaleUpWindowMs ?? 0;
  let upLimit = recommended;
  let downLimit = recommended;
  for (const r of history) {
    if (r.at >= now - upWindow) upLimit = Math.min(upLimit, r.replicas);
    if (r.at >= now - downWindow) downLimit = Math.max(downLimit, r.replicas);
  }
  let desired = currentReplicas;
  if (desired < upLimit) desired = upLimit;
  if (desired > downLimit) desired = downLimit;
  if (out.inactive) desired = currentReplicas;
  if (desired < minReplicas) {
    out.limited = {
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
    desired = minReplicas;
  } else if (desired > maxReplicas) {
    out.limited = {
      reason: 'TooManyReplicas',
      message: 'the desired replica count is more than the maximum replica count',
    };
    desired = maxReplicas;
  }
  const recommendations = out.inactive ? history : [...history, { at: now, replicas: recommended }];
  return { ...out, desiredReplicas: desired, recommended, recommendations };
}
