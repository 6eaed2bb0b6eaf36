import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ANNOTATION_ADMIN_PORT,
  ANNOTATION_APP_PORT,
  ANNOTATION_INBOUND_PORT,
  ANNOTATION_PROXY_ADMIN,
  ANNOTATION_PROXY_INBOUND,
  type ConfigMap,
  type Container,
  type KubeObject,
  type Pod,
  type PodTemplate,
  type Secret,
} from '../../engine/resources/index.js';
import { silentLogger, type Logger } from '../store/logger.js';
import type { ResourceStore, WatchEvent } from '../store/resource-store.js';
import { canConnect, httpProbe, podPort } from './net.js';
import { podLane } from './lane.js';
import { ProcessLedger } from './process-ledger.js';
import { processSpec, randomSuffix, secretValues, templateHash, type EnvSources } from './template.js';
import type { Sidecar, SidecarFactory } from './types.js';
import {
  daemonSetStatus,
  listWorkloads,
  ordinalOf,
  statefulSetStatus,
  WORKLOAD_KINDS,
  type Workload,
  type WorkloadCounts,
  type WorkloadKind,
} from './workloads.js';

export const RUNTIME_MANAGER = 'runtime';
/** Kubernetes' FallbackToLogsOnError: the last 2048 bytes or 80 lines of output, whichever is smaller. */
const TERMINATION_MESSAGE_BYTES = 2048;
/** the sidecar container of a meshed Pod (`linkerd-proxy` in an injected pod on a cluster) */
export const SIDECAR_CONTAINER = 'weir-proxy';
const SIDECAR_IMAGE = 'weir-proxy';
function terminationMessage(tail: string): string {
  return tail.split('\n').slice(-81).join('\n').trim();
}

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const laneOf = (lane: string | undefined): { lane?: string } => (lane !== undefined ? { lane } : {});

export interface RuntimeOptions {
  store: ResourceStore;
  /** the manifests folder: relative commands and working directories are resolved against it */
  dir: string;
  /** logs go to `<stateDir>/logs/<namespace>_<pod>.log`; default `<dir>/.weir` */
  stateDir?: string;
  /** overrides where the per-pod log files go */
  logDir?: string;
  /** starts one sidecar per instance; none: traffic goes straight to the app */
  sidecars?: SidecarFactory;
  logger?: Logger;
  /** extra environment for every process (after the runtime's own, before the container's) */
  env?: Record<string, string>;
  /** cap on `terminationGracePeriodSeconds` (default 30 s in the manifest) for demos and tests */
  maxGracePeriodSeconds?: number;
  /** how long a stopping instance keeps serving after it is marked not ready; default 1000 ms */
  drainMs?: number;
  /** restart back-off after a crash: doubles from initialMs up to maxMs; default 1 s to 10 s */
  backoff?: { initialMs?: number; maxMs?: number };
  /** how often readiness deadlines, availability and progress are re-evaluated; default 250 ms */
  tickMs?: number;
  /** also copy every line of output here, prefixed with `[namespace/pod] ` */
  output?: NodeJS.WritableStream;
}

/** What `pods()` reports about one instance. */
export interface RuntimePod {
  namespace: string;
  name: string;
  /** the workload's name (a Deployment, DaemonSet or StatefulSet: `kind`) */
  deployment: string;
  kind: WorkloadKind;
  templateHash: string;
  pid?: number;
  appPort?: number;
  inboundPort?: number;
  adminPort?: number;
  ready: boolean;
  restartCount: number;
  state: InstanceState;
}

type InstanceState = 'starting' | 'running' | 'backoff' | 'terminating';

interface Instance {
  name: string;
  namespace: string;
  /** the workload's name */
  deployment: string;
  kind: WorkloadKind;
  depKey: string;
  hash: string;
  template: PodTemplate;
  container: Container;
  labels: Record<string, string>;
  createdAt: number;
  appPort?: number;
  sidecar?: Sidecar;
  child?: ChildProcess;
  runId: number;
  state: InstanceState;
  /** ready: the app is (its probe) and its sidecar is up */
  ready: boolean;
  /** what the app's readiness probe says */
  appReady: boolean;
  /** its sidecar died and is being restarted */
  sidecarDown: boolean;
  readySince?: number;
  readyTransition: number;
  restartCount: number;
  backoffMs: number;
  startedAt?: number;
  waiting?: { reason: string; message?: string };
  lastTermination?: { exitCode: number; signal?: string; reason: string; finishedAt: string; message?: string };
  /** the end of the current run's output (Kubernetes' FallbackToLogsOnError termination message) */
  outputTail?: string;
  timers: Set<NodeJS.Timeout>;
  exited: Promise<void>;
  markExited: () => void;
  log: WriteStream;
  podWrites: Promise<void>;
  podGone: boolean;
  deletionTimestamp?: string;
  stopping?: Promise<void>;
}

interface ConditionState {
  status: string;
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

interface DeploymentRun {
  key: string;
  kind: WorkloadKind;
  namespace: string;
  name: string;
  instances: Set<Instance>;
  hash?: string;
  generation?: number;
  progressMark: number;
  lastUpdated: number;
  lastUpdatedReady: number;
  conditions: Map<string, ConditionState>;
  lastStatus?: string;
  /** the template hash whose rollout last completed */
  completeHash?: string;
}

/**
 * The local runtime: runs every Deployment in the store as `spec.replicas` local processes (a StatefulSet
 * as pods `<name>-0..n-1` with stable names, a DaemonSet as one pod: this machine is its one node), each with
 * its own port (`PORT`), an optional sidecar, and a `Pod` in the store that discovery turns into
 * endpoints. Readiness probes, crash restarts with back-off, rolling updates (maxSurge 1,
 * maxUnavailable 0), scaling, draining stops and Deployment status follow Kubernetes.
 */
export class LocalRuntime {
  private readonly store: ResourceStore;
  private readonly dir: string;
  private readonly logDir: string;
  private readonly ledger: ProcessLedger;
  private readonly logger: Logger;
  private readonly runs = new Map<string, DeploymentRun>();
  private unwatch: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private reconcileQueued = false;
  private closed = false;
  private readonly exitHook = (): void => {
    for (const run of this.runs.values()) for (const i of run.instances) i.child?.kill('SIGKILL');
  };

  constructor(private readonly options: RuntimeOptions) {
    this.store = options.store;
    this.dir = resolve(options.dir);
    this.logDir = resolve(this.dir, options.logDir ?? join(options.stateDir ?? '.weir', 'logs'));
    this.ledger = new ProcessLedger(join(resolve(this.dir, options.stateDir ?? '.weir'), 'runtime-processes.json'));
    this.logger = options.logger ?? silentLogger;
  }

  /** begin running what the store holds, and follow its changes */
  start(): void {
    mkdirSync(this.logDir, { recursive: true });
    const leftovers = this.ledger.reapLeftovers();
    if (leftovers > 0) this.logger.warn(`stopped ${leftovers} process(es) left running by a previous runtime`);
    this.unwatch = this.store.watch((e) => this.onEvent(e));
    this.tick = setInterval(() => this.reconcile(), this.options.tickMs ?? 250);
    this.tick.unref();
    process.on('exit', this.exitHook);
    this.reconcile();
  }

  /** the instances running now */
  pods(): RuntimePod[] {
    const out: RuntimePod[] = [];
    for (const run of this.runs.values()) {
      for (const i of run.instances) {
        const p: RuntimePod = {
          namespace: i.namespace,
          name: i.name,
          deployment: i.deployment,
          kind: i.kind,
          templateHash: i.hash,
          ready: i.ready,
          restartCount: i.restartCount,
          state: i.state,
        };
        if (i.child?.pid !== undefined) p.pid = i.child.pid;
        if (i.appPort !== undefined) p.appPort = i.appPort;
        if (i.sidecar) {
          p.inboundPort = i.sidecar.inboundPort;
          p.adminPort = i.sidecar.adminPort;
        } else if (i.appPort !== undefined) p.inboundPort = i.appPort;
        out.push(p);
      }
    }
    return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  /** where an instance's stdout and stderr go */
  logFile(namespace: string, pod: string): string {
    return join(this.logDir, `${namespace}_${pod}.log`);
  }

  /** stop every process and sidecar this runtime started, and remove their Pods */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    this.unwatch?.();
    const stops: Promise<void>[] = [];
    for (const run of this.runs.values()) for (const i of run.instances) stops.push(this.stop(i, false));
    await Promise.allSettled(stops);
    this.runs.clear();
    process.off('exit', this.exitHook);
  }

  // ---- reconciling ---------------------------------------------------------------------------

  private onEvent(e: WatchEvent): void {
    if (this.closed) return;
    if ((WORKLOAD_KINDS as readonly string[]).includes(e.object.kind)) this.reconcileSoon();
    else if (e.object.kind === 'Pod' && e.type === 'DELETED') {
      // someone deleted one of our Pods: like a kubelet, stop the instance; the Deployment replaces it
      const inst = this.findInstance(e.object.metadata.namespace, e.object.metadata.name);
      if (inst && inst.state !== 'terminating') {
        inst.podGone = true;
        void this.stop(inst, false);
      }
    }
  }

  private findInstance(namespace: string, name: string): Instance | undefined {
    for (const run of this.runs.values()) {
      for (const i of run.instances) if (i.namespace === namespace && i.name === name) return i;
    }
    return undefined;
  }

  private reconcileSoon(): void {
    if (this.reconcileQueued || this.closed) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    if (this.closed) return;
    const seen = new Set<string>();
    for (const w of listWorkloads(this.store)) {
      const key = `${w.kind}/${w.namespace}/${w.name}`;
      seen.add(key);
      try {
        this.reconcileWorkload(w, key);
      } catch (err) {
        this.logger.error(
          `${w.kind.toLowerCase()} ${w.namespace}/${w.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    for (const [key, run] of this.runs) {
      if (seen.has(key)) continue;
      for (const i of run.instances) void this.stop(i, true);
      if (run.instances.size === 0) this.runs.delete(key);
    }
  }

  private reconcileWorkload(dep: Workload, key: string): void {
    const now = Date.now();
    let run = this.runs.get(key);
    if (!run) {
      run = {
        key,
        kind: dep.kind,
        namespace: dep.namespace,
        name: dep.name,
        instances: new Set(),
        progressMark: now,
        lastUpdated: 0,
        lastUpdatedReady: 0,
        conditions: new Map(),
      };
      this.runs.set(key, run);
    }
    const hash = templateHash(dep.template);
    if (run.hash !== hash || run.generation !== dep.generation) {
      run.hash = hash;
      run.generation = dep.generation;
      run.progressMark = now;
    }
    if (dep.kind === 'StatefulSet') {
      this.reconcileOrdinals(run, dep, hash);
      this.writeStatus(dep, run, hash, now);
      return;
    }
    const desired = dep.replicas;
    const live = () => [...run.instances].filter((i) => i.state !== 'terminating');
    const current = () => live().filter((i) => i.hash === hash);
    const old = () => live().filter((i) => i.hash !== hash);

    if (desired === 0) {
      for (const i of live()) void this.stop(i, true);
    } else {
      // too many of the current template: stop the unready first, then the newest
      const cur = current();
      if (cur.length > desired) {
        cur.sort((a, b) => Number(a.ready) - Number(b.ready) || b.createdAt - a.createdAt);
        for (const i of cur.slice(0, cur.length - desired)) void this.stop(i, true);
      }
      // start new ones: all at once when nothing old is left, else one surge instance at a time
      const missing = desired - current().length;
      const room = old().length === 0 ? missing : Math.min(missing, desired + 1 - live().length);
      // a DaemonSet's pod is `<name>-<suffix>`, a Deployment's `<name>-<template hash>-<suffix>`
      for (let n = 0; n < room; n++)
        this.create(run, dep, hash, dep.kind === 'DaemonSet' ? `${dep.name}-${randomSuffix()}` : undefined);
      // old ones go as Kubernetes scales down old ReplicaSets (maxSurge 1, maxUnavailable 0): at most as many as
      // there are pods beyond `desired` and the new ones not ready yet, the unready first. An old pod whose probe
      // fails for a while (a loaded machine) is kept until a new one is ready: it may serve again meanwhile.
      const newUnready = current().filter((x) => !x.ready).length;
      let scaleDown = live().length - desired - newUnready;
      for (const i of old().filter((x) => !x.ready)) {
        if (scaleDown <= 0) break;
        scaleDown--;
        void this.stop(i, true);
      }
      // ready ones go when enough others are ready to keep `desired` available
      const oldReady = old().sort((a, b) => a.createdAt - b.createdAt);
      let readyTotal = live().filter((i) => i.ready).length;
      for (const i of oldReady) {
        if (readyTotal - 1 < desired) break;
        readyTotal--;
        void this.stop(i, true);
      }
    }
    this.writeStatus(dep, run, hash, now);
  }

  /**
   * A StatefulSet: pod `<name>-<i>` for every ordinal below `replicas`. OrderedReady creates them one at a
   * time in order, each once the ones before it are ready, and removes the highest first; Parallel creates
   * and removes them at once. A new template replaces one pod at a time, highest ordinal first, once every
   * pod is ready; the new pod takes the old one's name when it is gone.
   */
  private reconcileOrdinals(run: DeploymentRun, set: Workload, hash: string): void {
    const all = [...run.instances];
    const live = all.filter((i) => i.state !== 'terminating');
    const taken = new Set(all.map((i) => i.name));
    const ordered = set.ordered !== 'Parallel';
    const byOrdinal = new Map<number, Instance>();
    for (const i of live) {
      const n = ordinalOf(set.name, i.name);
      if (n !== undefined) byOrdinal.set(n, i);
    }
    const busy = all.some((i) => i.state === 'terminating');
    // scale down: the highest ordinals first
    const extra = [...byOrdinal.keys()].filter((n) => n >= set.replicas).sort((a, b) => b - a);
    if (extra.length > 0) {
      if (ordered) {
        if (!busy) void this.stop(byOrdinal.get(extra[0]!)!, true);
      } else for (const n of extra) void this.stop(byOrdinal.get(n)!, true);
      return;
    }
    // scale up: the missing ordinals, in order
    for (let n = 0; n < set.replicas; n++) {
      const inst = byOrdinal.get(n);
      if (inst) {
        if (ordered && !inst.ready) return;
        continue;
      }
      const name = `${set.name}-${n}`;
      if (taken.has(name)) {
        if (ordered) return;
        continue;
      }
      this.create(run, set, hash, name);
      if (ordered) return;
    }
    // rolling update: one pod at a time, the highest ordinal of an old template first
    if (busy || live.some((i) => !i.ready)) return;
    const old = [...byOrdinal.entries()].filter(([, i]) => i.hash !== hash).sort(([a], [b]) => b - a);
    if (old.length > 0) void this.stop(old[0]![1], true);
  }

  private writeStatus(dep: Workload, run: DeploymentRun, hash: string, now: number): void {
    const desired = dep.replicas;
    const minReadyMs = dep.minReadySeconds * 1000;
    const live = [...run.instances].filter((i) => i.state !== 'terminating');
    const updated = live.filter((i) => i.hash === hash);
    const ready = live.filter((i) => i.ready);
    const available = ready.filter((i) => now - (i.readySince ?? now) >= minReadyMs);
    const updatedReady = updated.filter((i) => i.ready).length;
    if (updated.length > run.lastUpdated || updatedReady > run.lastUpdatedReady) run.progressMark = now;
    run.lastUpdated = updated.length;
    run.lastUpdatedReady = updatedReady;

    const counts: WorkloadCounts = {
      live: live.length,
      updated: updated.length,
      ready: ready.length,
      available: available.length,
    };
    if (dep.kind !== 'Deployment') {
      const status =
        dep.kind === 'DaemonSet'
          ? daemonSetStatus(dep, counts)
          : statefulSetStatus(dep, counts, hash, run.completeHash);
      if (updated.length === desired && live.length === desired && counts.ready >= desired) run.completeHash = hash;
      this.patchStatus(dep, run, status);
      return;
    }
    const rsName = `${dep.name}-${hash}`;
    const complete =
      updated.length === desired &&
      live.length === desired &&
      available.filter((i) => i.hash === hash).length >= desired;
    if (complete) run.completeHash = hash;
    // as in Kubernetes, a finished rollout stays finished (only Available says how it is doing) until a new one starts
    const stillComplete = !complete && run.completeHash === hash && live.length === updated.length;
    const timedOut =
      !complete && !stillComplete && now - run.progressMark > (dep.progressDeadlineSeconds ?? 600) * 1000;
    const nowIso = new Date(now).toISOString();
    const set = (type: string, status: string, reason: string, message: string): void => {
      const prev = run.conditions.get(type);
      const next: ConditionState = {
        status,
        reason,
        message,
        lastUpdateTime: prev && prev.reason === reason && prev.message === message ? prev.lastUpdateTime : nowIso,
        lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowIso,
      };
      run.conditions.set(type, next);
    };
    if (available.length >= desired) {
      set('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.');
    } else {
      set('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
    }
    if (complete || stillComplete) {
      set('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`);
    } else if (timedOut) {
      set('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`);
    } else {
      set('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`);
    }
    const status = {
      observedGeneration: dep.generation,
      replicas: live.length,
      updatedReplicas: updated.length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      unavailableReplicas: Math.max(0, desired - available.length),
      conditions: ['Available', 'Progressing'].map((type) => ({ type, ...run.conditions.get(type)! })),
    };
    this.patchStatus(dep, run, status);
  }

  private patchStatus(w: Workload, run: DeploymentRun, status: Record<string, unknown>): void {
    const text = JSON.stringify(status);
    const current = this.store.get(w.kind, w.namespace, w.name)?.status;
    if (text === run.lastStatus && JSON.stringify(current) === text) return;
    run.lastStatus = text;
    this.store.patchStatus(w.kind, w.namespace, w.name, status).catch((err: unknown) => {
      run.lastStatus = undefined;
      this.logger.warn(`${w.kind.toLowerCase()} ${run.key}: writing status failed: ${String(err)}`);
    });
  }

  // ---- instances -----------------------------------------------------------------------------

  private create(run: DeploymentRun, dep: Workload, hash: string, podName?: string): void {
    const template = structuredClone(dep.template);
    const container = template.spec.containers[0]!;
    const name = podName ?? `${dep.name}-${hash}-${randomSuffix()}`;
    let markExited: () => void = () => {};
    const exited = new Promise<void>((r) => (markExited = r));
    markExited();
    const inst: Instance = {
      name,
      namespace: dep.namespace,
      deployment: dep.name,
      kind: dep.kind,
      depKey: run.key,
      hash,
      template,
      container,
      labels: { ...(template.metadata.labels ?? {}), ...podLabels(dep, hash, name) },
      createdAt: Date.now(),
      runId: 0,
      state: 'starting',
      ready: false,
      appReady: false,
      sidecarDown: false,
      readyTransition: Date.now(),
      restartCount: 0,
      backoffMs: this.options.backoff?.initialMs ?? 1000,
      timers: new Set(),
      exited,
      markExited,
      log: createWriteStream(this.logFile(dep.namespace, name), { flags: 'a' }),
      podWrites: Promise.resolve(),
      podGone: false,
    };
    inst.log.on('error', () => {});
    run.instances.add(inst);
    this.logger.info(`starting ${inst.namespace}/${name}`, { namespace: inst.namespace, pod: name });
    void this.launch(inst);
  }

  /** get a port and a sidecar (once per instance), then start the process */
  private async launch(inst: Instance): Promise<void> {
    try {
      inst.appPort ??= await podPort();
      if (this.options.sidecars && !inst.sidecar && inst.state !== 'terminating') {
        // the Pod exists before its sidecar asks the control plane about it (its inbound policy is the pod's)
        this.writePod(inst);
        await inst.podWrites;
        const sa = (inst.template.spec as { serviceAccountName?: unknown }).serviceAccountName;
        inst.sidecar = await this.options.sidecars({
          namespace: inst.namespace,
          name: inst.name,
          deployment: inst.deployment,
          labels: { ...inst.labels },
          serviceAccount: typeof sa === 'string' && sa !== '' ? sa : 'default',
          appPort: inst.appPort,
          ...laneOf(podLane(this.store, inst.namespace, inst.kind, inst.deployment)),
        });
        inst.sidecar.onHealth?.((up) => {
          if (inst.state === 'terminating') return;
          this.logLine(inst, up ? '--- sidecar ready again' : '--- sidecar died (restarting it)');
          inst.sidecarDown = !up;
          // the Pod shows the sidecar container's status (restarts) even when its readiness is unchanged
          if (!this.applyReady(inst)) this.writePod(inst);
        });
        if (stopping(inst)) await inst.sidecar.close().catch(() => {});
      }
    } catch (err) {
      if (inst.state === 'terminating') return;
      this.crashed(inst, 'SidecarError', `starting the sidecar failed: ${String(err)}`);
      return;
    }
    if (inst.state === 'terminating') return;
    this.spawnProcess(inst);
  }

  /** ConfigMaps and Secrets of `namespace` as they are in the store now (read when a process starts) */
  private envSources(namespace: string): EnvSources {
    return {
      configMap: (name) => this.store.get<ConfigMap>('ConfigMap', namespace, name)?.data,
      secret: (name) => {
        const s = this.store.get<Secret>('Secret', namespace, name);
        return s === undefined ? undefined : secretValues(s);
      },
    };
  }

  private spawnProcess(inst: Instance): void {
    const runId = ++inst.runId;
    const port = inst.appPort!;
    let spec;
    try {
      spec = processSpec(
        inst.container,
        this.dir,
        { ...process.env, ...this.options.env },
        {
          PORT: String(port),
          HOSTNAME: inst.name,
          POD_NAME: inst.name,
          POD_NAMESPACE: inst.namespace,
          POD_IP: '127.0.0.1',
          // the app reaches Services through its own sidecar (no network namespace: README, "The mesh")
          ...(inst.sidecar?.outboundProxy !== undefined
            ? {
                HTTP_PROXY: `http://${inst.sidecar.outboundProxy}`,
                http_proxy: `http://${inst.sidecar.outboundProxy}`,
                WEIR_OUTBOUND: `http://${inst.sidecar.outboundProxy}`,
              }
            : {}),
        },
        this.envSources(inst.namespace),
        {
          name: inst.name,
          namespace: inst.namespace,
          podIP: '127.0.0.1',
          labels: inst.labels,
          annotations: inst.template.metadata.annotations ?? {},
        },
      );
    } catch (err) {
      this.crashed(inst, 'CreateContainerConfigError', err instanceof Error ? err.message : String(err));
      return;
    }
    this.logLine(inst, `--- starting ${[spec.file, ...spec.args].join(' ')} (PORT=${port})`);
    let markExited: () => void = () => {};
    inst.exited = new Promise<void>((r) => (markExited = r));
    inst.markExited = markExited;
    const child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    inst.child = child;
    inst.outputTail = '';
    if (child.pid !== undefined) this.ledger.add(child.pid);
    inst.state = 'running';
    inst.startedAt = Date.now();
    inst.waiting = undefined;
    this.pipeOutput(inst, child);
    let done = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
      if (done) return;
      done = true;
      if (child.pid !== undefined) this.ledger.remove(child.pid);
      this.onExit(inst, runId, code, signal, err);
    };
    child.once('error', (err) => onExit(null, null, err));
    child.once('exit', (code, signal) => onExit(code, signal));
    this.writePod(inst);
    this.watchReadiness(inst, runId);
  }

  private onExit(
    inst: Instance,
    runId: number,
    code: number | null,
    signal: NodeJS.Signals | null,
    err: Error | undefined,
  ): void {
    if (runId !== inst.runId) return;
    inst.child = undefined;
    this.clearTimers(inst);
    const what = err ? `failed to start: ${err.message}` : signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.logLine(inst, `--- ${what}`);
    inst.lastTermination = {
      exitCode: code ?? (err ? 128 : 137),
      reason: err ? 'StartError' : code === 0 ? 'Completed' : 'Error',
      finishedAt: new Date().toISOString(),
    };
    const message = terminationMessage(inst.outputTail ?? '');
    if (inst.lastTermination.exitCode !== 0 && message) inst.lastTermination.message = message;
    if (signal) inst.lastTermination.signal = signal;
    inst.markExited();
    if (inst.state === 'terminating') return;
    this.crashed(inst, 'CrashLoopBackOff', what);
  }

  /** not running and not stopping: wait the back-off, then start it again */
  private crashed(inst: Instance, reason: string, message: string): void {
    this.setReady(inst, false);
    const initial = this.options.backoff?.initialMs ?? 1000;
    const max = this.options.backoff?.maxMs ?? 10_000;
    // a process that ran well for a while starts over with a short back-off
    if (inst.startedAt !== undefined && Date.now() - inst.startedAt >= Math.max(max, 10_000)) inst.backoffMs = initial;
    const delay = inst.backoffMs;
    inst.backoffMs = Math.min(delay * 2, max);
    inst.state = 'backoff';
    inst.waiting = { reason, message: `back-off ${delay} ms restarting: ${message}` };
    this.logger.warn(`${inst.namespace}/${inst.name}: ${message}; restarting in ${delay} ms`, {
      namespace: inst.namespace,
      pod: inst.name,
    });
    this.writePod(inst);
    this.reconcileSoon();
    this.after(inst, delay, () => {
      if (inst.state !== 'backoff') return;
      // as the kubelet counts: a container that never started (CreateContainerConfigError) is not restarted
      if (inst.lastTermination) inst.restartCount++;
      inst.state = 'starting';
      void this.launch(inst);
    });
  }

  private watchReadiness(inst: Instance, runId: number): void {
    const probe = inst.container.readinessProbe;
    const port = inst.appPort!;
    const alive = (): boolean => inst.runId === runId && inst.state === 'running';
    if (probe?.httpGet || probe?.tcpSocket) {
      let successes = 0;
      let failures = 0;
      const timeoutMs = probe.timeoutSeconds * 1000;
      const check = async (): Promise<void> => {
        if (!alive()) return;
        const ok = probe.httpGet
          ? await httpProbe(port, probe.httpGet.path, timeoutMs)
          : await canConnect(port, '127.0.0.1', timeoutMs);
        if (!alive()) return;
        if (ok) {
          successes++;
          failures = 0;
          if (!inst.appReady && successes >= probe.successThreshold) this.setReady(inst, true);
        } else {
          failures++;
          successes = 0;
          if (inst.appReady && failures >= probe.failureThreshold) this.setReady(inst, false);
        }
        this.after(inst, probe.periodSeconds * 1000, () => void check());
      };
      this.after(inst, probe.initialDelaySeconds * 1000, () => void check());
    } else if ((inst.container.ports?.length ?? 0) > 0) {
      // no probe: ready once the port accepts connections
      const check = async (): Promise<void> => {
        if (!alive()) return;
        if (await canConnect(port, '127.0.0.1', 500)) {
          if (alive()) this.setReady(inst, true);
        } else this.after(inst, 100, () => void check());
      };
      void check();
    } else {
      this.setReady(inst, true);
    }
  }

  /** what the app's probe says; the pod is ready when its sidecar is up too */
  private setReady(inst: Instance, ready: boolean): void {
    inst.appReady = ready;
    this.applyReady(inst);
  }

  /** true when the pod's readiness changed (and the Pod was written) */
  private applyReady(inst: Instance): boolean {
    const ready = inst.appReady && !inst.sidecarDown && inst.state !== 'terminating';
    if (inst.ready === ready) return false;
    inst.ready = ready;
    inst.readySince = ready ? Date.now() : undefined;
    inst.readyTransition = Date.now();
    this.logLine(inst, `--- ${ready ? 'ready' : 'not ready'}`);
    this.writePod(inst);
    this.reconcileSoon();
    return true;
  }

  /**
   * Stop one instance: mark it not ready (discovery drops it), let in-flight requests drain, SIGTERM,
   * SIGKILL after the grace period, close the sidecar, delete the Pod.
   */
  private stop(inst: Instance, drain: boolean): Promise<void> {
    if (inst.stopping) return inst.stopping;
    const wasServing = inst.ready;
    inst.state = 'terminating';
    this.clearTimers(inst);
    inst.ready = false;
    inst.appReady = false;
    inst.readySince = undefined;
    inst.deletionTimestamp = new Date().toISOString();
    this.writePod(inst);
    this.reconcileSoon();
    inst.stopping = (async () => {
      const drainMs = this.options.drainMs ?? 1000;
      if (drain && wasServing && drainMs > 0) await sleep(drainMs);
      const child = inst.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        this.logLine(inst, '--- stopping (SIGTERM)');
        const grace = Math.min(
          inst.template.spec.terminationGracePeriodSeconds ?? 30,
          this.options.maxGracePeriodSeconds ?? Infinity,
        );
        child.kill('SIGTERM');
        if (!(await within(inst.exited, grace * 1000))) {
          this.logLine(inst, `--- grace period of ${grace}s over (SIGKILL)`);
          child.kill('SIGKILL');
          await within(inst.exited, 5000);
        }
      }
      if (inst.sidecar) {
        await within(
          inst.sidecar.close().catch((err: unknown) => {
            this.logger.warn(`${inst.namespace}/${inst.name}: closing the sidecar failed: ${String(err)}`, {
              namespace: inst.namespace,
              pod: inst.name,
            });
          }),
          10_000,
        );
      }
      await this.deletePod(inst);
      await new Promise<void>((r) => inst.log.end(r));
      this.runs.get(inst.depKey)?.instances.delete(inst);
      this.logger.info(`stopped ${inst.namespace}/${inst.name}`, { namespace: inst.namespace, pod: inst.name });
      this.reconcileSoon();
    })();
    return inst.stopping;
  }

  // ---- the Pod object ------------------------------------------------------------------------

  private writePod(inst: Instance): void {
    if (inst.podGone || inst.appPort === undefined) return;
    inst.podWrites = inst.podWrites.then(async () => {
      if (inst.podGone) return;
      try {
        await this.store.apply(this.podObject(inst), { ephemeral: true, manager: RUNTIME_MANAGER });
      } catch (err) {
        this.logger.warn(`${inst.namespace}/${inst.name}: writing the Pod failed: ${String(err)}`, {
          namespace: inst.namespace,
          pod: inst.name,
        });
      }
    });
  }

  private deletePod(inst: Instance): Promise<void> {
    inst.podWrites = inst.podWrites.then(async () => {
      if (inst.podGone) return;
      inst.podGone = true;
      try {
        await this.store.delete('Pod', inst.namespace, inst.name);
      } catch (err) {
        this.logger.warn(`${inst.namespace}/${inst.name}: deleting the Pod failed: ${String(err)}`, {
          namespace: inst.namespace,
          pod: inst.name,
        });
      }
    });
    return inst.podWrites;
  }

  private podObject(inst: Instance): KubeObject {
    const annotations: Record<string, string> = { ...(inst.template.metadata.annotations ?? {}) };
    annotations[ANNOTATION_APP_PORT] = String(inst.appPort);
    annotations[ANNOTATION_INBOUND_PORT] = String(inst.sidecar?.inboundPort ?? inst.appPort);
    if (inst.sidecar) annotations[ANNOTATION_ADMIN_PORT] = String(inst.sidecar.adminPort);
    if (inst.sidecar?.meshed === true) {
      annotations[ANNOTATION_PROXY_INBOUND] = `127.0.0.1:${inst.sidecar.inboundPort}`;
      annotations[ANNOTATION_PROXY_ADMIN] = `127.0.0.1:${inst.sidecar.adminPort}`;
    }
    const metadata: Record<string, unknown> = {
      name: inst.name,
      namespace: inst.namespace,
      labels: { ...inst.labels },
      annotations,
      ownerReferences: [
        inst.kind === 'Deployment'
          ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${inst.deployment}-${inst.hash}`, controller: true }
          : { apiVersion: 'apps/v1', kind: inst.kind, name: inst.deployment, controller: true },
      ],
    };
    if (inst.deletionTimestamp) metadata.deletionTimestamp = inst.deletionTimestamp;
    const transition = new Date(inst.readyTransition).toISOString();
    const readyStatus = inst.ready ? 'True' : 'False';
    const state = inst.child
      ? { running: { startedAt: new Date(inst.startedAt ?? Date.now()).toISOString() } }
      : inst.waiting
        ? { waiting: { ...inst.waiting } }
        : inst.lastTermination && inst.state === 'terminating'
          ? { terminated: { ...inst.lastTermination } }
          : { waiting: { reason: 'ContainerCreating' } };
    const containerStatus: Record<string, unknown> = {
      name: inst.container.name,
      image: inst.container.image ?? '',
      // the app container's own readiness (its probe); the pod's also needs the sidecar container's
      ready: inst.appReady && inst.state !== 'terminating',
      started: inst.child !== undefined,
      restartCount: inst.restartCount,
      state,
    };
    if (inst.lastTermination) containerStatus.lastState = { terminated: { ...inst.lastTermination } };
    const spec = structuredClone(inst.template.spec) as Pod['spec'];
    const statuses = [containerStatus as { name: string; restartCount: number; ready: boolean }];
    // a sidecar process is the pod's second container, as `linkerd-proxy` in an injected pod (README, "The mesh")
    const sidecar = inst.sidecar?.status?.();
    if (sidecar !== undefined) {
      spec.containers = [...spec.containers, { name: SIDECAR_CONTAINER, image: SIDECAR_IMAGE }];
      statuses.push({ name: SIDECAR_CONTAINER, image: SIDECAR_IMAGE, ...sidecar } as (typeof statuses)[number]);
    }
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata as Pod['metadata'],
      spec,
      status: {
        phase: inst.child || inst.lastTermination ? 'Running' : 'Pending',
        podIP: '127.0.0.1',
        hostIP: '127.0.0.1',
        startTime: new Date(inst.createdAt).toISOString(),
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: readyStatus, lastTransitionTime: transition },
          { type: 'Ready', status: readyStatus, lastTransitionTime: transition },
        ],
        containerStatuses: statuses,
      },
    };
    return pod;
  }

  // ---- output and timers ---------------------------------------------------------------------

  private pipeOutput(inst: Instance, child: ChildProcess): void {
    const out = this.options.output;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        if (inst.log.writable) inst.log.write(chunk);
        inst.outputTail = ((inst.outputTail ?? '') + chunk.toString('utf8')).slice(-TERMINATION_MESSAGE_BYTES);
        // output read after the exit still belongs to that run's termination message
        if (!inst.child && inst.lastTermination && inst.lastTermination.exitCode !== 0)
          inst.lastTermination.message = terminationMessage(inst.outputTail);
        if (!out) return;
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) out.write(`[${inst.namespace}/${inst.name}] ${line}\n`);
      });
      stream.on('end', () => {
        if (out && partial !== '') out.write(`[${inst.namespace}/${inst.name}] ${partial}\n`);
        partial = '';
      });
    }
  }

  private logLine(inst: Instance, line: string): void {
    if (inst.log.writable) inst.log.write(`${new Date().toISOString()} ${line}\n`);
  }

  private after(inst: Instance, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      inst.timers.delete(t);
      fn();
    }, ms);
    inst.timers.add(t);
  }

  private clearTimers(inst: Instance): void {
    for (const t of inst.timers) clearTimeout(t);
    inst.timers.clear();
  }
}

/**
 * The labels the workload's controller adds to its pods: `pod-template-hash` (Deployment),
 * `controller-revision-hash` (DaemonSet, StatefulSet) and `statefulset.kubernetes.io/pod-name`.
 */
function podLabels(w: Workload, hash: string, name: string): Record<string, string> {
  if (w.kind === 'Deployment') return { [POD_TEMPLATE_HASH_LABEL]: hash };
  const revision = { 'controller-revision-hash': `${w.name}-${hash}` };
  return w.kind === 'StatefulSet' ? { ...revision, 'statefulset.kubernetes.io/pod-name': name } : revision;
}

/** start a runtime over `options.store` (as the CLI does); `close()` stops everything it started */
export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const runtime = new LocalRuntime(options);
  runtime.start();
  return runtime;
}

/** read through a call so the compiler does not narrow a state that changes across an await */
function stopping(inst: Instance): boolean {
  return inst.state === 'terminating';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** did `p` settle within `ms` */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
