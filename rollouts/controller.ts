import { randomBytes } from 'node:crypto';
import {
  advance,
  analysisIntervalMs,
  coordinateRelease,
  laneOfTick,
  releaseOf,
  messages,
  normal,
  warning,
  type Action,
  type AdvanceInput,
  type CanaryEvent,
  type FastRollbackObservation,
  type Observations,
} from '../engine/canary/index.js';
import { canaryWarnings, type Canary, type CanaryPhase } from '../engine/resources/index.js';
import { retryOnConflict, type ResourceStore, type WatchEvent } from '../controlplane/store/resource-store.js';
import { AlertNotifier } from './alerts.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { EventRecorder } from './events.js';
import { FastRollbackWatcher, type FastRollbackWatcherOptions } from './fast-rollback/watcher.js';
import { finalizerStep, hasFinalizer, withFinalizer } from './finalizer.js';
import { errorMessage, silentLogger, type Logger } from './logger.js';
import { observeMetrics } from './metrics/observe.js';
import type { MetricsProvider } from './metrics/provider.js';
import { GatewayRouter } from './routers/gateway-router.js';
import type { Router } from './routers/router.js';
import { targetAdapters } from './targets/factory.js';
import type { TargetAdapter } from './targets/target-adapter.js';
import { ControllerMetrics } from './recorder.js';
import { HttpWebhookRunner, type WebhookRunner } from './webhooks.js';

export interface CanaryControllerOptions {
  store: ResourceStore;
  /** metric providers, asked in order (the first that supports a metric answers it) */
  metrics?: MetricsProvider | MetricsProvider[];
  clock?: Clock;
  logger?: Logger;
  /** target adapters by kind (default: `targetAdapters`: Deployment, DaemonSet, StatefulSet, Service over the store) */
  targets?: Record<string, TargetAdapter>;
  /** default: the Gateway API HTTPRoute router over the store */
  router?: Router;
  webhooks?: WebhookRunner;
  /** events kept per canary (default 500) */
  eventCapacity?: number;
  /** where Flagger's `flagger_canary_*` metrics go (default: a registry of the controller's own) */
  controllerMetrics?: ControllerMetrics;
  /** sends `analysis.alerts` notes (default: to the AlertProviders in the store) */
  alerts?: AlertNotifier;
  /**
   * Weir's fast rollback (rollouts/fast-rollback/): watch the sidecars of opted-in Canaries
   * (`weir.io/fast-rollback: "true"`) between ticks and roll back on a breach beyond doubt. Off unless given.
   */
  fastRollback?: Omit<FastRollbackWatcherOptions, 'store' | 'onBreach' | 'clock' | 'logger'>;
}

export interface CanaryController {
  readonly events: EventRecorder;
  /** Flagger's controller metrics (`registry.metrics()` is the Prometheus text) */
  readonly metrics: ControllerMetrics;
  /** run one tick of a canary now, outside its schedule (tests, CLI) */
  tick(namespace: string, name: string): Promise<void>;
  /** canaries with a running job */
  jobs(): string[];
  close(): Promise<void>;
}

/** phases in which providers should keep sampling (analysis may ask for a window soon) */
const analysedPhases: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Progressing',
  'WaitingPromotion',
  'Waiting',
]);

const key = (ns: string, name: string) => `${ns}/${name}`;

/** a random session-affinity cookie value: 16 letters and digits */
function cookieToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
}

class Job {
  handle: TimerHandle | undefined;
  running: Promise<void> | undefined;
  closed = false;
  nextAt = 0;

  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly run: () => Promise<void>,
  ) {}

  /**
   * Flagger: a job ticks immediately on start, then every interval (fixed rate). `firstAt` lets a restarted
   * controller wait out the rest of the interval of a canary that is mid-analysis.
   */
  start(firstAt?: number): void {
    this.nextAt = Math.max(this.clock.now().getTime(), firstAt ?? 0);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = Math.max(0, this.nextAt - this.clock.now().getTime());
    this.handle = this.clock.setTimeout(() => this.fire(), delay);
  }

  private async fire(): Promise<void> {
    this.handle = undefined;
    if (this.closed) return;
    // Weir difference: the next tick comes one full interval after this one starts (Go's ticker would
    // fire a late tick and then the next one at once; with 1-2 s intervals that leaves the second check
    // a window with almost no traffic at the new weight).
    this.nextAt = this.clock.now().getTime() + this.intervalMs;
    await this.runOnce();
    this.schedule();
  }

  /** one tick, never two at once */
  async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.handle) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    await this.running;
  }
}

/**
 * The reconcile loop (Flagger `Controller` + `CanaryJob`): one job per Canary ticking every analysis interval,
 * started/restarted/stopped by store watch events. Each tick observes the target, the primary and the route,
 * calls the pure scheduler (`engine/canary advance`), fulfils what it needs (metrics, hook answers), applies
 * the actions through the adapters, writes the status and records the events. All state is in the store, so
 * a new controller over the same store resumes where the last one stopped.
 */
export function startCanaryController(options: CanaryControllerOptions): CanaryController {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const providers =
    options.metrics === undefined ? [] : Array.isArray(options.metrics) ? options.metrics : [options.metrics];
  const targets: Record<string, TargetAdapter> = options.targets ?? targetAdapters(store);
  const router = options.router ?? new GatewayRouter(store);
  const webhooks = options.webhooks ?? new HttpWebhookRunner();
  const events = new EventRecorder({ clock, logger, capacity: options.eventCapacity, store });
  const recorder = options.controllerMetrics ?? new ControllerMetrics();
  const alerts = options.alerts ?? new AlertNotifier({ store, logger });
  const jobs = new Map<string, Job>();
  let closed = false;
  /** breaches the fast-rollback watcher found, waiting for the tick that acts on them */
  const fastBreaches = new Map<string, FastRollbackObservation>();
  const fast =
    options.fastRollback === undefined
      ? undefined
      : new FastRollbackWatcher({
          ...options.fastRollback,
          store,
          clock,
          logger,
          onBreach: (canary, breach) => onFastBreach(canary, breach),
        });

  /** a breach: tick now (after a tick already running, then once more if that one did not see it) */
  async function onFastBreach(canary: Canary, breach: FastRollbackObservation): Promise<void> {
    const k = key(canary.metadata.namespace, canary.metadata.name);
    fastBreaches.set(k, breach);
    // a member of a coordinated release is ticked by its release's job
    const release = memberOf.get(k);
    const job = jobs.get(k) ?? (release !== undefined ? releaseJobs.get(release) : undefined);
    if (!job) return;
    await job.runOnce();
    if (fastBreaches.get(k) === breach) await job.runOnce();
  }
  /** event-hook and alert deliveries: in order per canary, off the tick, awaited on close */
  const deliveries = new Map<string, Promise<void>>();

  const deliver = (canary: Canary, send: () => Promise<unknown>): void => {
    const k = key(canary.metadata.namespace, canary.metadata.name);
    const next = (deliveries.get(k) ?? Promise.resolve()).then(send).then(
      () => undefined,
      (err: unknown) =>
        logger.warn(`canary ${k}: delivery failed: ${errorMessage(err)}`, {
          namespace: canary.metadata.namespace,
          canary: canary.metadata.name,
        }),
    );
    deliveries.set(k, next);
    void next.then(() => {
      if (deliveries.get(k) === next) deliveries.delete(k);
    });
  };

  /**
   * record an event; `event` webhooks receive every event (Flagger `sendEventToWebhook`), at once or, with
   * `held`, when the caller releases the delivery
   */
  const record = (canary: Canary, e: CanaryEvent, held?: Array<() => void>) => {
    const at = clock.now();
    events.record(canary, e);
    const hooks = webhooks.event;
    if (hooks && (canary.spec.analysis?.webhooks ?? []).some((w) => w.type === 'event')) {
      const send = () =>
        deliver(canary, async () => {
          for (const r of await hooks.call(webhooks, canary, e, at)) {
            if (!r.ok)
              logger.warn(
                `canary ${canary.metadata.namespace}/${canary.metadata.name}: event webhook ${r.name} failed: ${r.message ?? ''}`,
                { namespace: canary.metadata.namespace, canary: canary.metadata.name },
              );
          }
        });
      if (held !== undefined) held.push(send);
      else send();
    }
  };

  /** canary -> the generation whose field warnings were recorded as events */
  const warned = new Map<string, number | undefined>();
  /** what a Canary asks for that Weir does not do, as Warning events once per generation (decode warnings) */
  const warnFields = (canary: Canary) => {
    const k = key(canary.metadata.namespace, canary.metadata.name);
    if (warned.has(k) && warned.get(k) === canary.metadata.generation) return;
    warned.set(k, canary.metadata.generation);
    for (const w of canaryWarnings(canary)) record(canary, warning(`${w.path}: ${w.message}`));
  };

  const track = (canary: Canary, active: boolean) => {
    for (const p of providers) p.track?.(canary, active);
    fast?.track(canary, active);
  };

  async function fulfil(
    canary: Canary,
    input: AdvanceInput,
  ): Promise<ReturnType<typeof advance> & { kind: 'done'; observations: Observations }> {
    const observations: Observations = { ...input.observations };
    for (let i = 0; i < 16; i++) {
      const result = advance({ ...input, observations });
      if (result.kind === 'done') return { ...result, observations };
      if (result.need.kind === 'metrics') {
        observations.metrics = await observeMetrics(canary, providers, input.now);
      } else {
        const type = result.need.hookType;
        observations.hooks = { ...observations.hooks, [type]: await webhooks.run(canary, type, canary.status?.phase) };
      }
    }
    throw new Error('the scheduler kept asking for observations');
  }

  async function apply(canary: Canary, action: Action, adapter: TargetAdapter, lane?: string): Promise<void> {
    switch (action.type) {
      case 'reconcileServices':
        return adapter.reconcileServices(canary);
      case 'reconcileApexService':
        return adapter.reconcileApexService(canary);
      case 'createPrimary':
        return adapter.createPrimary(canary);
      case 'reconcilePrimaryScaler':
        return adapter.reconcilePrimaryScaler?.(canary, action.init);
      case 'reconcileRoute':
        return router.reconcile(canary, lane);
      case 'scaleTarget':
        return adapter.scaleTarget(canary, action.replicas);
      case 'setRoutes':
        return router.setRoutes(
          canary,
          { primary: action.primary, canary: action.canary, ...(action.mirrored ? { mirrored: true } : {}) },
          action.cookies,
          lane,
        );
      case 'promote':
        return adapter.promote(canary);
      case 'runHooks': {
        const results = await webhooks.run(canary, action.hookType, action.phase);
        for (const r of results) {
          record(
            canary,
            r.ok
              ? { type: 'Normal', reason: 'Synced', message: messages.postRolloutPassed(r.name) }
              : warning(messages.postRolloutFailed(r.name, r.message ?? '')),
          );
        }
        return;
      }
    }
  }

  /** the Canary's metadata written back (finalizers), against the version read: a conflict waits for the next tick */
  async function writeMeta(canary: Canary, metadata: Canary['metadata']): Promise<void> {
    const { status: _status, ...rest } = canary;
    await store.apply({ ...rest, metadata }, { manager: 'canary-controller' });
  }

  /**
   * `revertOnDeletion` as Flagger's `syncHandler` and `finalize`: add or remove the finalizer; when a Canary
   * holding it is deleted: phase Terminating (event), the target back to the primary's replicas, and once it
   * is ready the apex Service back on the target's pods, the route and the generated objects removed, the
   * finalizer released (event): the Canary is then gone. A target not ready yet is checked again at the next
   * tick. True when the tick ends here.
   */
  async function handleFinalizer(canary: Canary, step: 'add' | 'remove' | 'finalize', adapter: TargetAdapter) {
    const names = { canary: canary.metadata.name, namespace: canary.metadata.namespace };
    if (step === 'add' || step === 'remove') {
      await writeMeta(canary, withFinalizer(canary, step === 'add'));
      return canary.metadata.deletionTimestamp !== undefined;
    }
    if (canary.status?.phase !== 'Terminating') {
      const status = { ...canary.status, phase: 'Terminating' as const, canaryWeight: 0, iterations: 0 };
      await store.patchStatus('Canary', canary.metadata.namespace, canary.metadata.name, status);
      record(canary, normal(messages.terminating(names)));
    }
    await adapter.revertTarget(canary);
    const readiness = adapter.observeTarget(canary, clock.now()).readiness;
    if (!readiness.ready) {
      logger.info(
        `canary ${names.namespace}/${names.canary}: terminating: target not ready yet: ${readiness.message}`,
        {
          namespace: names.namespace,
          canary: names.canary,
        },
      );
      return true;
    }
    // the route first: while it exists it may send traffic to the `-primary` Service that release removes
    await router.finalize(canary);
    await adapter.release(canary);
    // a tick that finalized it meanwhile has let it go: writing this tick's copy back would bring it back
    const latest = store.get<Canary>('Canary', canary.metadata.namespace, canary.metadata.name);
    if (latest?.metadata.deletionTimestamp === undefined || !hasFinalizer(latest)) return true;
    await writeMeta(latest, withFinalizer(latest, false));
    record(canary, normal(messages.terminated(names)));
    return true;
  }

  /** a tick's inputs: the Canary read now, its target adapter, the observations (nothing applied yet) */
  interface Prepared {
    canary: Canary;
    adapter: TargetAdapter;
    input: AdvanceInput;
    started: number;
    /** the fast-rollback breach this tick acts on, if any */
    breach?: FastRollbackObservation | undefined;
    /** the `event` webhook deliveries of the tick's events, sent once its status is on disk (`finish`) */
    held: Array<() => void>;
  }
  type Decided = Awaited<ReturnType<typeof fulfil>>;

  /**
   * The first part of a tick: read the Canary, handle its finalizer, observe the target, the primary and the
   * route. Undefined when the tick ends here (gone, unsupported target, finalizer work).
   */
  async function prepare(namespace: string, name: string, at?: Date): Promise<Prepared | undefined> {
    const canary = store.get<Canary>('Canary', namespace, name);
    if (!canary) return undefined;
    const knative = canary.spec.targetRef.apiVersion.startsWith('serving.knative.dev/');
    const adapter = knative ? undefined : targets[canary.spec.targetRef.kind];
    if (!adapter) {
      record(
        canary,
        warning(
          `target kind ${knative ? 'Knative ' : ''}${canary.spec.targetRef.kind} is not supported (supported: ${Object.keys(targets).join(', ')})`,
        ),
      );
      return undefined;
    }
    const step = finalizerStep(canary);
    if (step !== 'none') {
      if (await handleFinalizer(canary, step, adapter)) return undefined;
    } else if (canary.metadata.deletionTimestamp !== undefined) return undefined;
    warnFields(canary);
    const now = at ?? clock.now();
    const breach = fastBreaches.get(key(namespace, name));
    const input: AdvanceInput = {
      canary,
      target: adapter.observeTarget(canary, now),
      primary: adapter.observePrimary(canary, now),
      observations: breach ? { fastRollback: breach } : {},
      now,
      // values for session-affinity cookies, used only when a run starts handing one out
      sessionTokens: { canary: cookieToken(), primary: cookieToken() },
    };
    const routes = router.getRoutes(canary);
    if (routes) input.routes = routes;
    return { canary, adapter, input, started: now.getTime(), breach, held: [] };
  }

  async function tick(namespace: string, name: string): Promise<void> {
    const p = await prepare(namespace, name);
    if (p) await commit(p, await fulfil(p.canary, p.input));
  }

  /**
   * Coordinated canaries (engine/canary/release.ts): the members of a release ticked together. Each member's
   * tick is proposed, the coordinator decides (lock step, one failure rolls all back), the ticks it holds or
   * rolls back run again with its directive (the observations already made are reused: no metric query or
   * hook call is repeated), then each is applied as a tick of its own.
   */
  async function releaseTick(namespace: string, release: string): Promise<void> {
    const prepared: Prepared[] = [];
    // one time for the whole release: its members' steps carry the same transition time
    const now = clock.now();
    for (const c of releaseMembers(namespace, release)) {
      const p = await prepare(namespace, c.metadata.name, now);
      if (p) prepared.push(p);
    }
    const proposals: Decided[] = [];
    for (const p of prepared) proposals.push(await fulfil(p.canary, p.input));
    const decisions = coordinateRelease(
      release,
      prepared.map((p, i) => ({
        canary: p.canary,
        status: proposals[i]!.status,
        stepped: proposals[i]!.stepped === true,
      })),
    );
    const results: Decided[] = [];
    const extra: CanaryEvent[][] = [];
    for (const [i, p] of prepared.entries()) {
      const decision = decisions.get(p.canary.metadata.name);
      const proposal = proposals[i]!;
      results.push(
        decision?.directive !== undefined
          ? await fulfil(p.canary, { ...p.input, observations: proposal.observations, release: decision.directive })
          : proposal,
      );
      extra.push(decision?.events ?? []);
    }
    // every member's actions, then all statuses at once (writeStatus): readers never see one member a step
    // ahead of another
    const applied: boolean[] = [];
    for (const [i, p] of prepared.entries()) applied.push(await applyActions(p, results[i]!, extra[i]!));
    const written = await Promise.all(prepared.map((p, i) => (applied[i] ? writeStatus(p, results[i]!) : false)));
    for (const [i, p] of prepared.entries()) if (written[i]) await finish(p, results[i]!);
  }

  /** the Canaries of a release in a namespace, by name */
  function releaseMembers(namespace: string, release: string): Canary[] {
    return store
      .list<Canary>('Canary', namespace)
      .filter((c) => releaseOf(c) === release)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** The second part of a tick: apply the actions, record the events, write the status, run deferred hooks. */
  async function commit(p: Prepared, result: Decided, extraEvents: CanaryEvent[] = []): Promise<void> {
    if (!(await applyActions(p, result, extraEvents))) return;
    if (!(await writeStatus(p, result))) return;
    await finish(p, result);
  }

  /**
   * The tick's actions, in order (a failed one ends the tick without writing the status, as Flagger returns),
   * then its events. The routes keep the member's version lane while it runs and in the tick that ends its run
   * (coordinated canaries, `laneOfTick`). False when the tick ends here.
   */
  async function applyActions(p: Prepared, result: Decided, extraEvents: CanaryEvent[]): Promise<boolean> {
    const { canary, adapter } = p;
    const { namespace, name } = canary.metadata;
    const lane = laneOfTick(canary, canary.status, result.status);
    for (const action of result.actions.filter((a) => a.type !== 'runHooks')) {
      try {
        await apply(canary, action, adapter, lane);
      } catch (err) {
        logger.warn(`canary ${namespace}/${name}: ${action.type} failed: ${errorMessage(err)}`, {
          namespace,
          canary: name,
        });
        record(canary, warning(errorMessage(err)));
        return false;
      }
    }
    // the tick's events are in the store before its status: a controller killed in between repeats the
    // transition (and its events) at the next start rather than losing the events of a step it took. Their
    // `event` webhook deliveries wait for the status on disk (`finish`): the repeat is delivered, not both.
    const after: Canary = { ...canary, status: result.status };
    for (const e of [...result.events, ...extraEvents]) record(after, e, p.held);
    await events.flush();
    return true;
  }

  /**
   * The status, when it changed. `durable`: readers (the API, watchers) see it once it is on disk, so that a
   * controller killed meanwhile never leaves a status that was seen and then lost; the statuses of a release's
   * members, written one after the other without awaiting in between, become visible together.
   */
  async function writeStatus(p: Prepared, result: Decided): Promise<boolean> {
    const { canary } = p;
    const { namespace, name } = canary.metadata;
    if (JSON.stringify(result.status) === JSON.stringify(canary.status ?? {})) return true;
    try {
      // optimistic concurrency as Flagger's RetryOnConflict: written against the version this tick read;
      // if the Canary changed meanwhile, the status is written again against the latest version
      let resourceVersion = canary.metadata.resourceVersion;
      await retryOnConflict(async () => {
        try {
          return await store.patchStatus('Canary', namespace, name, result.status, { resourceVersion, durable: true });
        } finally {
          resourceVersion = store.get<Canary>('Canary', namespace, name)?.metadata.resourceVersion;
        }
      });
      return true;
    } catch (err) {
      logger.warn(`canary ${namespace}/${name}: status write failed: ${errorMessage(err)}`, {
        namespace,
        canary: name,
      });
      return false;
    }
  }

  /**
   * after the status: the tick's event deliveries, alerts, the controller's metrics, providers' tracking,
   * deferred (post-rollout) hooks. A tick whose status was not written never gets here: its deliveries are
   * dropped, and the tick that takes the step again records and delivers them.
   */
  async function finish(p: Prepared, result: Decided): Promise<void> {
    for (const send of p.held.splice(0)) send();
    const { canary, adapter, started } = p;
    const { namespace, name } = canary.metadata;
    const after: Canary = { ...canary, status: result.status };
    const { breach } = p;
    // the breach was acted on (or is stale: another run, another phase); a failed tick above keeps it for the next
    if (breach && fastBreaches.get(key(namespace, name)) === breach) fastBreaches.delete(key(namespace, name));
    if (result.events.some((e) => e.reason === 'FastRollback')) recorder.countFastRollback(canary);
    for (const note of result.alerts) deliver(after, () => alerts.notify(after, note));
    recorder.observeTick(
      canary,
      canary.status,
      result.status,
      router.getRoutes(canary),
      result.observations.metrics,
      (clock.now().getTime() - started) / 1000,
    );
    track(after, analysedPhases.has(result.status.phase));
    const updated = store.get<Canary>('Canary', namespace, name) ?? canary;
    const lane = laneOfTick(canary, canary.status, result.status);
    for (const action of result.actions.filter((a) => a.type === 'runHooks')) {
      try {
        await apply(updated, action, adapter, lane);
      } catch (err) {
        logger.warn(`canary ${namespace}/${name}: ${action.type} failed: ${errorMessage(err)}`, {
          namespace,
          canary: name,
        });
      }
    }
  }

  /** release (`namespace/release`) -> the job ticking its members together */
  const releaseJobs = new Map<string, Job>();
  /** member Canary (`namespace/name`) -> its release (`namespace/release`) */
  const memberOf = new Map<string, string>();

  /**
   * The job of a release: its members' ticks run together (releaseTick) at the longest of their analysis
   * intervals; it goes with its last member.
   */
  function ensureReleaseJob(namespace: string, release: string): void {
    if (closed) return;
    const rk = key(namespace, release);
    const members = releaseMembers(namespace, release);
    const existing = releaseJobs.get(rk);
    if (members.length === 0) {
      if (existing) void existing.stop();
      releaseJobs.delete(rk);
      return;
    }
    const interval = Math.max(...members.map((m) => analysisIntervalMs(m)));
    if (existing && existing.intervalMs === interval) return;
    if (existing) void existing.stop();
    const job = new Job(namespace, release, interval, clock, () =>
      releaseTick(namespace, release).catch((err: unknown) => {
        logger.error(`release ${rk}: tick failed: ${errorMessage(err)}`, { namespace, release });
      }),
    );
    releaseJobs.set(rk, job);
    const resume = members.map((m) => resumeAt(m, interval)).filter((t): t is number => t !== undefined);
    job.start(resume.length > 0 ? Math.max(...resume) : undefined);
  }

  /** a Canary left its release (label removed or changed, Canary deleted): the release's job is brought up to date */
  function leaveRelease(k: string): void {
    const rk = memberOf.get(k);
    if (rk === undefined) return;
    memberOf.delete(k);
    const [namespace, release] = rk.split('/') as [string, string];
    ensureReleaseJob(namespace, release);
  }

  function ensureJob(canary: Canary): void {
    if (closed) return;
    const k = key(canary.metadata.namespace, canary.metadata.name);
    const release = releaseOf(canary);
    if (release !== undefined) {
      // a member of a release: ticked by the release's job, not one of its own
      void jobs.get(k)?.stop();
      jobs.delete(k);
      if (memberOf.get(k) !== key(canary.metadata.namespace, release)) leaveRelease(k);
      memberOf.set(k, key(canary.metadata.namespace, release));
      ensureReleaseJob(canary.metadata.namespace, release);
      return;
    }
    leaveRelease(k);
    const interval = analysisIntervalMs(canary);
    const existing = jobs.get(k);
    if (existing && existing.intervalMs === interval) return;
    if (existing) void existing.stop();
    const job = new Job(canary.metadata.namespace, canary.metadata.name, interval, clock, () =>
      tick(canary.metadata.namespace, canary.metadata.name).catch((err: unknown) => {
        logger.error(`canary ${k}: tick failed: ${errorMessage(err)}`, {
          namespace: canary.metadata.namespace,
          canary: canary.metadata.name,
        });
      }),
    );
    jobs.set(k, job);
    job.start(resumeAt(canary, interval));
  }

  /**
   * Weir difference: a canary found mid-analysis (a restarted controller) keeps the bake time of its current
   * step: its first tick comes one interval after the last status change, not at once.
   */
  function resumeAt(canary: Canary, interval: number): number | undefined {
    const phase = canary.status?.phase;
    if (phase !== 'Progressing' && phase !== 'WaitingPromotion') return undefined;
    const last = canary.status?.lastTransitionTime ? Date.parse(canary.status.lastTransitionTime) : NaN;
    return Number.isNaN(last) ? undefined : last + interval;
  }

  function stopJob(namespace: string, name: string, canary?: Canary): void {
    const k = key(namespace, name);
    const job = jobs.get(k);
    if (job) void job.stop();
    jobs.delete(k);
    warned.delete(k);
    fastBreaches.delete(k);
    leaveRelease(k);
    if (canary) track(canary, false);
  }

  const onEvent = (e: WatchEvent): void => {
    if (e.object.kind !== 'Canary') return;
    recorder.setTotal(store.list<Canary>('Canary'));
    const canary = e.object as Canary;
    if (e.type === 'DELETED') stopJob(canary.metadata.namespace, canary.metadata.name, canary);
    else {
      ensureJob(canary);
      // a Canary held by a finalizer is finalized now, not an interval later (Flagger enqueues it)
      if (canary.metadata.deletionTimestamp !== undefined)
        void jobOf(canary.metadata.namespace, canary.metadata.name)?.runOnce();
    }
  };
  /** the job that ticks a Canary: its own, or its release's */
  const jobOf = (namespace: string, name: string): Job | undefined => {
    const k = key(namespace, name);
    const rk = memberOf.get(k);
    return rk !== undefined ? releaseJobs.get(rk) : jobs.get(k);
  };
  const unwatch = store.watch(onEvent);
  for (const c of store.list<Canary>('Canary')) ensureJob(c);
  recorder.setTotal(store.list<Canary>('Canary'));

  return {
    events,
    metrics: recorder,
    async tick(namespace, name) {
      const job = jobOf(namespace, name);
      if (job) await job.runOnce();
      else await tick(namespace, name);
    },
    jobs: () => [...jobs.keys(), ...[...releaseJobs.keys()].map((rk) => `release ${rk}`)],
    async close() {
      closed = true;
      unwatch();
      fast?.close();
      for (const j of jobs.values()) {
        const c = store.get<Canary>('Canary', j.namespace, j.name);
        if (c) track(c, false);
      }
      for (const j of releaseJobs.values()) for (const c of releaseMembers(j.namespace, j.name)) track(c, false);
      await Promise.all([...jobs.values(), ...releaseJobs.values()].map((j) => j.stop()));
      jobs.clear();
      releaseJobs.clear();
      await Promise.allSettled([...deliveries.values()]);
      await events.flush();
    },
  };
}
