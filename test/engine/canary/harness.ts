import type { MetricObservation } from '../../../engine/analysis/index.js';
import {
  advance,
  type Action,
  type AdvanceInput,
  type AdvanceResult,
  type ReleaseDirective,
  type CanaryAlertNote,
  type CanaryEvent,
  type HookResult,
  type Readiness,
  type RouteWeights,
  type SessionCookies,
} from '../../../engine/canary/index.js';
import { canarySchema, type Canary, type CanaryStatus, type WebhookType } from '../../../engine/resources/index.js';

export function makeCanary(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Canary {
  return canarySchema.parse({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        interval: '10s',
        threshold: 3,
        stepWeight: 10,
        maxWeight: 50,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
        ],
        ...analysis,
      },
      ...spec,
    },
  });
}

export const healthy: MetricObservation[] = [
  { name: 'request-success-rate', value: 100, provider: 'mesh' },
  { name: 'request-duration', value: 20, provider: 'mesh' },
];

/**
 * A tiny world the pure scheduler acts on: the target and primary workloads and the route, with the
 * actions applied as the controller would. Each `tick()` is one analysis interval.
 */
export class World {
  canary: Canary;
  targetHash = 'rev1';
  /** the target's tracked configs as the adapter would report them (undefined = not tracked) */
  targetConfigs: Record<string, string> | undefined;
  /** the config checksums the primary runs with (copied on createPrimary/promote) */
  primaryConfigs: Record<string, string> | undefined;
  /** random values the controller would pass for new session cookies */
  sessionTokens: { canary: string; primary: string } | undefined;
  /** the session cookies of the last setRoutes */
  cookies: SessionCookies | undefined;
  targetReplicas = 2;
  primaryExists = false;
  primaryHash: string | undefined;
  primaryReplicas = 0;
  primaryReady: Readiness = { ready: true };
  canaryReady: Readiness = { ready: true };
  routes: RouteWeights | undefined;
  now = Date.UTC(2026, 0, 1);
  intervalMs = 10_000;
  metrics: () => MetricObservation[] | undefined = () => healthy;
  hooks: Partial<Record<WebhookType, HookResult[]>> = {};
  events: CanaryEvent[] = [];
  alerts: CanaryAlertNote[] = [];
  lastActions: Action[] = [];
  metricQueries = 0;

  constructor(canary: Canary) {
    this.canary = canary;
  }

  get status(): CanaryStatus {
    return this.canary.status!;
  }

  input(): AdvanceInput {
    return {
      canary: this.canary,
      target: {
        exists: true,
        replicas: this.targetReplicas,
        templateHash: this.targetHash,
        ...(this.targetConfigs !== undefined ? { trackedConfigs: this.targetConfigs } : {}),
        readiness: this.canaryReady,
      },
      primary: {
        exists: this.primaryExists,
        replicas: this.primaryReplicas,
        ...(this.primaryHash !== undefined ? { templateHash: this.primaryHash } : {}),
        readiness: this.primaryExists ? this.primaryReady : { ready: false, retriable: true, message: 'not found' },
      },
      ...(this.routes ? { routes: this.routes } : {}),
      observations: {},
      now: new Date(this.now),
      ...(this.sessionTokens ? { sessionTokens: this.sessionTokens } : {}),
    };
  }

  /** one tick; returns the events of this tick */
  tick(): CanaryEvent[] {
    return this.commit(this.propose());
  }

  /** the tick's result, not applied (with a release's directive when given) */
  propose(release?: ReleaseDirective): AdvanceResult & { kind: 'done' } {
    const input = this.input();
    if (release !== undefined) input.release = release;
    let result = advance(input);
    for (let i = 0; result.kind === 'need' && i < 10; i++) {
      const need = result.need;
      if (need.kind === 'metrics') {
        this.metricQueries++;
        input.observations.metrics = this.metrics() ?? [];
      } else {
        input.observations.hooks = { ...input.observations.hooks, [need.hookType]: this.hooks[need.hookType] ?? [] };
      }
      result = advance(input);
    }
    if (result.kind !== 'done') throw new Error('scheduler still needs observations');
    return result;
  }

  /** apply a tick's result as the controller would (plus events of the release's own); returns the events */
  commit(result: AdvanceResult & { kind: 'done' }, extra: CanaryEvent[] = []): CanaryEvent[] {
    for (const a of result.actions) this.apply(a);
    this.lastActions = result.actions;
    this.canary = { ...this.canary, status: result.status };
    const events = [...result.events, ...extra];
    this.events.push(...events);
    this.alerts.push(...result.alerts);
    this.now += this.intervalMs;
    return events;
  }

  private apply(a: Action): void {
    switch (a.type) {
      case 'createPrimary':
        this.primaryExists = true;
        this.primaryHash = this.targetHash;
        this.primaryConfigs = this.targetConfigs;
        this.primaryReplicas = this.targetReplicas;
        break;
      case 'reconcileRoute':
        this.routes ??= { primary: 100, canary: 0 };
        break;
      case 'scaleTarget':
        this.targetReplicas = a.replicas;
        break;
      case 'setRoutes':
        this.routes = { primary: a.primary, canary: a.canary, ...(a.mirrored ? { mirrored: true } : {}) };
        this.cookies = a.cookies;
        break;
      case 'promote':
        this.primaryHash = this.targetHash;
        this.primaryConfigs = this.targetConfigs;
        break;
      default:
        break;
    }
  }

  /** initialise (two ticks: create primary, then Initialized) */
  initialize(): void {
    this.tick();
    this.tick();
  }

  /** a new revision of the target's pod template */
  newRevision(hash = 'rev2'): void {
    this.targetHash = hash;
  }

  /** ticks until the phase is reached (max n); returns the canary weights seen after each tick */
  runUntil(phase: string, max = 30): number[] {
    const weights: number[] = [];
    for (let i = 0; i < max; i++) {
      this.tick();
      weights.push(this.routes?.canary ?? 0);
      if (this.status.phase === phase) return weights;
    }
    throw new Error(`phase ${phase} not reached; at ${this.status.phase}`);
  }

  messages(): string[] {
    return this.events.map((e) => e.message);
  }
}
