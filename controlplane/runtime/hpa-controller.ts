import {
  computeDesiredReplicas,
  cpuMillis,
  DEFAULT_SCALE_DOWN_WINDOW_MS,
  type CpuTarget,
  type Recommendation,
} from '../../engine/autoscaling/hpa.js';
import type { Deployment, HorizontalPodAutoscaler, PodTemplate } from '../../engine/resources/index.js';
import { silentLogger, type Logger } from '../store/logger.js';
import type { ResourceStore } from '../store/resource-store.js';
import { CpuSampler } from './cpu.js';
import type { RuntimePod } from './local-runtime.js';

export const HPA_MANAGER = 'horizontal-pod-autoscaler';

export interface HpaControllerOptions {
  store: ResourceStore;
  /** the runtime's pods now (their pids and readiness) */
  pods: () => RuntimePod[];
  /** how often every HPA is evaluated (Kubernetes: 15 s) */
  syncMs?: number;
  sampler?: CpuSampler;
  now?: () => number;
  logger?: Logger;
}

/** `Resource` cpu targets of an HPA (no metrics: 80 % utilization, as Kubernetes) */
export function cpuTarget(hpa: HorizontalPodAutoscaler): CpuTarget | undefined {
  const metrics = hpa.spec.metrics;
  if (metrics === undefined || metrics.length === 0) return { averageUtilization: 80 };
  for (const m of metrics) {
    if (m.type !== 'Resource' || m.resource?.name !== 'cpu') continue;
    const t = m.resource.target;
    if (t.type === 'Utilization' && t.averageUtilization !== undefined)
      return { averageUtilization: t.averageUtilization };
    if (t.type === 'AverageValue') {
      const v = cpuMillis(t.averageValue);
      if (v !== undefined) return { averageValueMillis: v };
    }
  }
  return undefined;
}

/** the CPU a pod of `template` requests: the sum of its containers' `resources.requests.cpu`, millicores */
export function podCpuRequest(template: PodTemplate): number {
  let sum = 0;
  for (const c of template.spec.containers) {
    const req = (c.resources as { requests?: { cpu?: string | number } } | undefined)?.requests?.cpu;
    sum += cpuMillis(req) ?? 0;
  }
  return sum;
}

/**
 * The local runtime's HorizontalPodAutoscaler controller: every `syncMs` each HPA's scale target (a
 * Deployment or StatefulSet) gets the replicas `computeDesiredReplicas` decides from the measured CPU of its
 * ready pods' processes (`/proc/PID/stat`) against their `requests.cpu`, within `minReplicas`/`maxReplicas`;
 * `status` says what it saw (currentReplicas, desiredReplicas, currentMetrics, conditions, lastScaleTime).
 */
export class HpaController {
  private readonly sampler: CpuSampler;
  private readonly history = new Map<string, Recommendation[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(private readonly options: HpaControllerOptions) {
    this.sampler = options.sampler ?? new CpuSampler();
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), this.options.syncMs ?? 15_000);
    this.timer.unref();
    void this.sync();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** evaluate every HPA once */
  sync(): Promise<void> {
    this.running ??= this.syncAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async syncAll(): Promise<void> {
    const pods = this.options.pods();
    this.sampler.retain(new Set(pods.flatMap((p) => (p.pid === undefined ? [] : [p.pid]))));
    const seen = new Set<string>();
    for (const hpa of this.options.store.list<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')) {
      const key = `${hpa.metadata.namespace}/${hpa.metadata.name}`;
      seen.add(key);
      try {
        await this.syncOne(hpa, key, pods);
      } catch (err) {
        this.logger.warn(`hpa ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const k of this.history.keys()) if (!seen.has(k)) this.history.delete(k);
  }

  private async syncOne(hpa: HorizontalPodAutoscaler, key: string, pods: RuntimePod[]): Promise<void> {
    const ns = hpa.metadata.namespace;
    const ref = hpa.spec.scaleTargetRef;
    const now = this.now();
    const nowIso = new Date(now).toISOString();
    if (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet') {
      await this.writeStatus(hpa, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          cond('AbleToScale', 'False', 'FailedGetScale', `the local runtime does not scale ${ref.kind}`, nowIso),
        ],
      });
      return;
    }
    const target = this.options.store.get<Deployment>(ref.kind, ns, ref.name);
    if (!target) {
      await this.writeStatus(hpa, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          cond(
            'AbleToScale',
            'False',
            'FailedGetScale',
            `${ref.kind.toLowerCase()}s.apps "${ref.name}" not found`,
            nowIso,
          ),
        ],
      });
      return;
    }
    const current = target.spec.replicas;
    const mine = pods.filter((p) => p.namespace === ns && p.kind === ref.kind && p.deployment === ref.name);
    const usage: number[] = [];
    for (const p of mine) {
      if (p.pid === undefined || !p.ready) continue;
      const u = this.sampler.usageMillis(p.pid, now);
      if (u !== undefined) usage.push(u);
    }
    const target_ = cpuTarget(hpa);
    const behavior = hpa.spec.behavior;
    const decision = computeDesiredReplicas({
      now,
      currentReplicas: current,
      minReplicas: hpa.spec.minReplicas,
      maxReplicas: hpa.spec.maxReplicas,
      target: target_ ?? { averageUtilization: 80 },
      usageMillis: target_ ? usage : [],
      requestMillis: podCpuRequest(target.spec.template),
      recommendations: this.history.get(key) ?? [],
      scaleDownWindowMs:
        behavior?.scaleDown?.stabilizationWindowSeconds !== undefined
          ? behavior.scaleDown.stabilizationWindowSeconds * 1000
          : DEFAULT_SCALE_DOWN_WINDOW_MS,
      scaleUpWindowMs: (behavior?.scaleUp?.stabilizationWindowSeconds ?? 0) * 1000,
    });
    this.history.set(key, decision.recommendations);
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (decision.desiredReplicas !== current) {
      const next = structuredClone(target);
      delete next.status;
      delete next.metadata.resourceVersion;
      next.spec.replicas = decision.desiredReplicas;
      await this.options.store.apply(next, { manager: HPA_MANAGER });
      lastScaleTime = nowIso;
      this.logger.info(
        `hpa ${key}: ${ref.kind.toLowerCase()} ${ref.name} scaled from ${current} to ${decision.desiredReplicas}`,
      );
    }
    const currentMetrics =
      decision.currentAverageMillis === undefined
        ? []
        : [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                current: {
                  averageValue: `${Math.round(decision.currentAverageMillis)}m`,
                  ...(decision.currentUtilization !== undefined
                    ? { averageUtilization: decision.currentUtilization }
                    : {}),
                },
              },
            },
          ];
    const active = decision.inactive
      ? cond('ScalingActive', 'False', decision.inactive.reason, decision.inactive.message, nowIso)
      : cond(
          'ScalingActive',
          'True',
          'ValidMetricFound',
          'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
          nowIso,
        );
    const limited = decision.limited
      ? cond('ScalingLimited', 'True', decision.limited.reason, decision.limited.message, nowIso)
      : cond(
          'ScalingLimited',
          'False',
          'DesiredWithinRange',
          'the desired count is within the acceptable range',
          nowIso,
        );
    await this.writeStatus(hpa, {
      observedGeneration: hpa.metadata.generation,
      ...(lastScaleTime !== undefined ? { lastScaleTime } : {}),
      currentReplicas: current,
      desiredReplicas: decision.desiredReplicas,
      currentMetrics,
      conditions: [
        cond(
          'AbleToScale',
          'True',
          'SucceededRescale',
          'the HPA controller was able to update the target scale',
          nowIso,
        ),
        active,
        limited,
      ],
    });
  }

  /** written when something but the conditions' times changed */
  private async writeStatus(hpa: HorizontalPodAutoscaler, status: Record<string, unknown>): Promise<void> {
    const prev = (hpa.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
    const conditions = (status.conditions as Array<Record<string, unknown>>).map((c) => {
      const old = prev.conditions?.find((o) => o.type === c.type);
      return old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
    });
    const next = { ...status, conditions };
    if (JSON.stringify(next) === JSON.stringify(hpa.status)) return;
    await this.options.store.patchStatus('HorizontalPodAutoscaler', hpa.metadata.namespace, hpa.metadata.name, next);
  }
}

function cond(type: string, status: string, reason: string, message: string, at: string): Record<string, unknown> {
  return { type, status, reason, message, lastTransitionTime: at };
}
