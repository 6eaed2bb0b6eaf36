import type {
  Canary,
  CanaryAnalysis,
  CanaryPhase,
  CanaryStatus,
  CanaryWebhook,
  WebhookType,
} from '../resources/index.js';
import type { Action } from './actions.js';
import { normal, warning, type CanaryAlertNote, type CanaryEvent, type CanaryNames } from './events.js';
import { getAnalysis } from './interval.js';
import { derivedToken, rotateSessionCookies, sessionCookiesOf } from './session.js';
import { applyPhase, normalizeStatus } from './status.js';
import { strategyOf } from './strategy-kind.js';
import type { AdvanceInput, HookResult, Need, RouteWeights } from './types.js';

/** Thrown to stop a tick that needs an observation it does not have yet (caught by `advance`). */
export class NeedSignal {
  constructor(readonly need: Need) {}
}

/** One tick's working state: the status being written, the actions and the events, in order. */
export class Tick {
  readonly canary: Canary;
  readonly analysis: CanaryAnalysis | undefined;
  readonly names: CanaryNames;
  readonly kind: string;
  readonly now: Date;
  status: CanaryStatus;
  readonly actions: Action[] = [];
  readonly events: CanaryEvent[] = [];
  readonly alerts: CanaryAlertNote[] = [];
  /** why this tick's check failed (set by checks.ts, written to the `Analysis` condition by the scheduler) */
  failure: { reason: string; message: string } | undefined;
  /** the tick took (or, held by its release, would have taken) a step of the analysis (release.ts) */
  stepped = false;

  constructor(readonly input: AdvanceInput) {
    this.canary = input.canary;
    this.analysis = getAnalysis(input.canary);
    const target = input.canary.spec.targetRef.name;
    this.names = {
      canary: input.canary.metadata.name,
      namespace: input.canary.metadata.namespace,
      target,
      primary: `${target}-primary`,
    };
    this.kind = input.canary.spec.targetRef.kind;
    this.now = input.now;
    this.status = normalizeStatus(input.canary.status);
  }

  get phase(): CanaryPhase | undefined {
    return this.status.phase;
  }

  /** the target's current pod-template hash */
  get hash(): string {
    return this.input.target.templateHash ?? '';
  }

  /** weights from the router, or 100/0 when the route is being created by this tick */
  get routes(): RouteWeights {
    return this.input.routes ?? { primary: 100, canary: 0 };
  }

  info(message: string): void {
    this.events.push(normal(message));
  }

  warn(message: string): void {
    this.events.push(warning(message));
  }

  /** an alert for `analysis.alerts` */
  alert(severity: CanaryAlertNote['severity'], message: string, metadata = false): void {
    this.alerts.push({ severity, message, ...(metadata ? { metadata: true } : {}) });
  }

  /** whether the hook of that type and name asked for no alerts (`muteAlert`) */
  muted(type: WebhookType, name: string): boolean {
    return this.webhooks(type).find((w) => w.name === name)?.muteAlert === true;
  }

  act(action: Action): void {
    this.actions.push(action);
  }

  /**
   * Route weights (Flagger `SetRoutes`). With `analysis.sessionAffinity` (canary and blue/green strategies)
   * the session cookies rotate with the weight (session.ts) and travel with the action to the router.
   */
  setRoutes(primary: number, canary: number, mirrored = false): void {
    const affinity = this.analysis?.sessionAffinity;
    if (affinity === undefined || strategyOf(this.analysis) === 'ab-testing') {
      this.act({ type: 'setRoutes', primary, canary, ...(mirrored ? { mirrored } : {}) });
      return;
    }
    const seed = `${this.names.namespace}/${this.names.canary}/${this.hash}/${this.now.toISOString()}`;
    const tokens = this.input.sessionTokens ?? {
      canary: derivedToken(`${seed}/canary`),
      primary: derivedToken(`${seed}/primary`),
    };
    this.status = rotateSessionCookies(this.status, affinity, canary, tokens);
    this.act({
      type: 'setRoutes',
      primary,
      canary,
      ...(mirrored ? { mirrored } : {}),
      cookies: sessionCookiesOf(this.status),
    });
  }

  /** the target's tracked configs now (undefined when the adapter does not track them) */
  get configs(): Record<string, string> | undefined {
    return this.input.target.trackedConfigs;
  }

  /** Flagger `SetStatusPhase` */
  setPhase(phase: CanaryPhase): void {
    this.status = applyPhase(this.status, phase, { analysis: this.analysis, kind: this.kind, now: this.now });
  }

  /** Flagger `SetStatusWeight` / `SetStatusFailedChecks` / `SetStatusIterations` */
  setFields(fields: Partial<Pick<CanaryStatus, 'canaryWeight' | 'failedChecks' | 'iterations'>>): void {
    this.status = { ...this.status, ...fields, lastTransitionTime: this.now.toISOString() };
  }

  /**
   * Flagger `SyncStatus`: phase and counters, `lastAppliedSpec` = the target's current hash and
   * `trackedConfigs` = its configs' checksums (absent when it references none).
   */
  sync(phase: CanaryPhase, fields: { canaryWeight?: number; failedChecks?: number; iterations?: number } = {}): void {
    this.status = {
      ...this.status,
      canaryWeight: fields.canaryWeight ?? 0,
      failedChecks: fields.failedChecks ?? 0,
      iterations: fields.iterations ?? 0,
      lastAppliedSpec: this.hash,
    };
    // Flagger SyncStatus also records the checksums of the configs the revision runs with
    const configs = this.configs;
    if (configs !== undefined) {
      if (Object.keys(configs).length > 0) this.status.trackedConfigs = { ...configs };
      else delete this.status.trackedConfigs;
    }
    this.setPhase(phase);
  }

  webhooks(type: WebhookType): CanaryWebhook[] {
    return (this.analysis?.webhooks ?? []).filter((w) => w.type === type);
  }

  /**
   * Results of the hooks of one type, asking the controller for them when they are not there yet.
   * Empty when no hook of that type is configured.
   */
  hookResults(type: WebhookType): HookResult[] {
    if (this.webhooks(type).length === 0) return [];
    const results = this.input.observations.hooks?.[type];
    if (results === undefined) throw new NeedSignal({ kind: 'hooks', hookType: type });
    return results;
  }
}
