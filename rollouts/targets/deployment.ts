import { createHash } from 'node:crypto';
import type {
  ConfigRef,
  PodFailure,
  Readiness,
  TrackableConfig,
  WorkloadObservation,
} from '../../engine/canary/index.js';
import { primaryConfigName, templateHash, trackedConfigs, withPrimaryConfigs } from '../../engine/canary/index.js';
import {
  ANNOTATION_MANAGED_BY,
  type Canary,
  type ConfigMap,
  type Deployment,
  type KubeObject,
  type Pod,
  type Secret,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { GeneratedServices, type ServiceTarget, type TargetContainer } from './generated-services.js';
import { apexServiceName, sameJson, withoutStatus } from './objects.js';

export { apexServiceName };
import type { TargetAdapter } from './target-adapter.js';

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
export function selectorLabel(dep: Deployment): { key: string; value: string } | undefined {
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

/** Deployments as canary targets, over the store (Flagger `DeploymentController`). */
export class DeploymentTarget implements TargetAdapter {
  readonly kind = 'Deployment';

  private readonly services: GeneratedServices;

  constructor(private readonly store: ResourceStore) {
    this.services = new GeneratedServices(store, MANAGED_BY);
  }

  private target(canary: Canary): Deployment | undefined {
    return this.store.get<Deployment>('Deployment', canary.metadata.namespace, canary.spec.targetRef.name);
  }

  private primary(canary: Canary): Deployment | undefined {
    return this.store.get<Deployment>('Deployment', canary.metadata.namespace, primaryName(canary));
  }

  private requireTarget(canary: Canary): { dep: Deployment; label: { key: string; value: string } } {
    const dep = this.target(canary);
    if (!dep) throw new Error(`deployment ${canary.spec.targetRef.name}.${canary.metadata.namespace} not found`);
    const label = selectorLabel(dep);
    if (!label) {
      throw new Error(
        `selector not found for deployment ${dep.metadata.name}.${dep.metadata.namespace}: spec.selector.matchLabels needs one of ${SELECTOR_LABELS.join(', ')}`,
      );
    }
    return { dep, label };
  }

  /** a ConfigMap or Secret of the canary's namespace, as the config tracker sees it */
  private config(namespace: string, ref: ConfigRef): TrackableConfig | undefined {
    if (ref.kind === 'configmap') {
      const cm = this.store.get<ConfigMap>('ConfigMap', namespace, ref.name);
      return cm && { data: cm.data, annotations: cm.metadata.annotations };
    }
    const secret = this.store.get<Secret>('Secret', namespace, ref.name);
    return secret && { data: secretData(secret), annotations: secret.metadata.annotations, type: secret.type };
  }

  /** `status.trackedConfigs` of the target as it is now (Flagger `GetConfigRefs`) */
  trackedConfigs(canary: Canary, dep: Deployment): Record<string, string> {
    const ns = canary.metadata.namespace;
    return trackedConfigs(dep.spec.template, (ref) => this.config(ns, ref));
  }

  /**
   * Flagger `CreatePrimaryConfigs`: a `<name>-primary` copy of each tracked ConfigMap and Secret, created or
   * updated to the target's current data (labels copied; marked as the controller's).
   */
  private async syncPrimaryConfigs(canary: Canary, tracked: Record<string, string>): Promise<void> {
    const ns = canary.metadata.namespace;
    for (const key of Object.keys(tracked)) {
      const slash = key.indexOf('/');
      const kind = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const meta = (o: KubeObject) => ({
        name: primaryConfigName(name),
        namespace: ns,
        ...(o.metadata.labels ? { labels: { ...o.metadata.labels } } : {}),
        annotations: { [MANAGED_BY_ANNOTATION]: MANAGED_BY },
      });
      if (kind === 'configmap') {
        const cm = this.store.get<ConfigMap>('ConfigMap', ns, name);
        if (!cm) throw new Error(`configmap ${name}.${ns} get query failed: not found`);
        const copy: ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: meta(cm),
          ...(cm.data !== undefined ? { data: { ...cm.data } } : {}),
          ...(cm.binaryData !== undefined ? { binaryData: { ...cm.binaryData } } : {}),
        };
        const have = this.store.get<ConfigMap>('ConfigMap', ns, copy.metadata.name);
        if (have && sameJson(have.data, copy.data) && sameJson(have.binaryData, copy.binaryData)) continue;
        await this.store.apply(copy, { manager: MANAGED_BY });
      } else {
        const secret = this.store.get<Secret>('Secret', ns, name);
        if (!secret) throw new Error(`secret ${name}.${ns} get query failed: not found`);
        const data = secretData(secret);
        const copy: Secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: meta(secret),
          type: secret.type,
          ...(data !== undefined ? { data } : {}),
        };
        const have = this.store.get<Secret>('Secret', ns, copy.metadata.name);
        if (have && have.type === copy.type && sameJson(secretData(have), copy.data)) continue;
        await this.store.apply(copy, { manager: MANAGED_BY });
      }
    }
  }

  observeTarget(canary: Canary, now: Date): WorkloadObservation {
    const dep = this.target(canary);
    if (!dep) {
      return {
        exists: false,
        replicas: 0,
        readiness: { ready: false, retriable: true, message: 'not found' },
        error: `deployments.apps "${canary.spec.targetRef.name}" not found`,
      };
    }
    const threshold = canary.spec.analysis?.canaryReadyThreshold ?? 100;
    const r = deploymentReadiness(dep, threshold, canary.spec.progressDeadlineSeconds, now);
    let readiness: Readiness = r;
    if (!r.ready) {
      const stuck = podFailure(
        this.store.list<Pod>('Pod', dep.metadata.namespace),
        dep.spec.selector.matchLabels ?? {},
      );
      const why = stuck ? `; pod ${stuck.pod} ${stuck.reason}: ${stuck.message}` : '';
      readiness = {
        ...r,
        message: `canary deployment ${dep.metadata.name}.${dep.metadata.namespace} not ready: ${r.message}${why}`,
        ...(stuck ? { pod: stuck } : {}),
      };
    }
    return {
      exists: true,
      replicas: dep.spec.replicas,
      templateHash: templateHash(dep.spec.template),
      trackedConfigs: this.trackedConfigs(canary, dep),
      readiness,
    };
  }

  observePrimary(canary: Canary, now: Date): WorkloadObservation {
    const dep = this.primary(canary);
    const name = `${primaryName(canary)}.${canary.metadata.namespace}`;
    if (!dep) {
      return {
        exists: false,
        replicas: 0,
        readiness: { ready: false, retriable: true, message: `${name} not ready: not found` },
      };
    }
    if (dep.spec.replicas === 0) {
      return {
        exists: true,
        replicas: 0,
        readiness: {
          ready: false,
          retriable: false,
          message: `halt advancement ${name} primary deployment is scaled to zero`,
        },
      };
    }
    const threshold = canary.spec.analysis?.primaryReadyThreshold ?? 100;
    const r = deploymentReadiness(dep, threshold, canary.spec.progressDeadlineSeconds, now);
    return {
      exists: true,
      replicas: dep.spec.replicas,
      templateHash: templateHash(dep.spec.template),
      readiness: r.ready ? r : { ...r, message: `${name} not ready: ${r.message}` },
    };
  }

  /**
   * The primary's pod template: the target's, labelled `<key>: <value>-primary`, with references to tracked
   * configs renamed to their `-primary` copies (Flagger `ApplyPrimaryConfigs`), and annotated with the
   * revision's `flagger-id`, so that a change of a tracked config alone still rolls the primary's pods (which
   * read the `-primary` copies only when they start).
   */
  private primaryTemplate(
    dep: Deployment,
    label: { key: string; value: string },
    tracked: Record<string, string>,
  ): Deployment['spec']['template'] {
    const template = withPrimaryConfigs(dep.spec.template, tracked);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata.labels, [label.key]: `${label.value}-primary` },
      annotations: {
        ...template.metadata.annotations,
        [FLAGGER_ID_ANNOTATION]: revisionId(dep.spec.template, tracked),
      },
    };
    return template;
  }

  async createPrimary(canary: Canary): Promise<void> {
    if (this.primary(canary)) return;
    const { dep, label } = this.requireTarget(canary);
    const value = `${label.value}-primary`;
    const tracked = this.trackedConfigs(canary, dep);
    await this.syncPrimaryConfigs(canary, tracked);
    const primary: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: primaryName(canary),
        namespace: canary.metadata.namespace,
        labels: { ...dep.metadata.labels, [label.key]: value },
        annotations: { ...dep.metadata.annotations, [MANAGED_BY_ANNOTATION]: MANAGED_BY },
      },
      spec: {
        ...structuredClone(dep.spec),
        replicas: dep.spec.replicas > 0 ? dep.spec.replicas : 1,
        selector: { matchLabels: { [label.key]: value } },
        template: this.primaryTemplate(dep, label, tracked),
      },
    };
    await this.store.apply(primary, { manager: MANAGED_BY });
  }

  async promote(canary: Canary): Promise<void> {
    const { dep, label } = this.requireTarget(canary);
    const primary = this.primary(canary);
    if (!primary) throw new Error(`deployment ${primaryName(canary)}.${canary.metadata.namespace} not found`);
    const tracked = this.trackedConfigs(canary, dep);
    await this.syncPrimaryConfigs(canary, tracked);
    const next = withoutStatus(primary);
    next.spec.template = this.primaryTemplate(dep, label, tracked);
    if (canary.spec.autoscalerRef === undefined && dep.spec.replicas > 0) next.spec.replicas = dep.spec.replicas;
    next.spec.progressDeadlineSeconds = dep.spec.progressDeadlineSeconds;
    next.spec.minReadySeconds = dep.spec.minReadySeconds;
    if (dep.spec.strategy !== undefined) next.spec.strategy = structuredClone(dep.spec.strategy);
    if (sameJson(next.spec, primary.spec)) return;
    await this.store.apply(next, { manager: MANAGED_BY });
  }

  async scaleTarget(canary: Canary, replicas: number): Promise<void> {
    const dep = this.target(canary);
    if (!dep) throw new Error(`deployment ${canary.spec.targetRef.name}.${canary.metadata.namespace} not found`);
    if (dep.spec.replicas === replicas) return;
    const next = withoutStatus(dep);
    next.spec.replicas = replicas;
    await this.store.apply(next, { manager: MANAGED_BY });
  }

  podSelector(canary: Canary, which: 'canary' | 'primary'): Record<string, string> | undefined {
    const dep = which === 'canary' ? this.target(canary) : this.primary(canary);
    return dep?.spec.selector.matchLabels;
  }

  async revertTarget(canary: Canary): Promise<void> {
    const primary = this.primary(canary);
    // Flagger `Finalize`: the primary's replicas, or ScaleFromZero (at least one) without a primary
    await this.scaleTarget(canary, Math.max(1, primary?.spec.replicas ?? 1));
  }

  async release(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    await this.services.releaseApex(canary, this.serviceTarget(canary));
    await this.services.remove(canary);
    if (this.primary(canary)) await this.store.delete('Deployment', ns, primaryName(canary));
    // the `-primary` copies of the tracked ConfigMaps and Secrets
    const dep = this.target(canary);
    for (const key of Object.keys(dep ? this.trackedConfigs(canary, dep) : {})) {
      const slash = key.indexOf('/');
      const kind = key.slice(0, slash) === 'configmap' ? 'ConfigMap' : 'Secret';
      const name = primaryConfigName(key.slice(slash + 1));
      const copy = this.store.get(kind, ns, name);
      if (copy?.metadata.annotations?.[MANAGED_BY_ANNOTATION] === MANAGED_BY) await this.store.delete(kind, ns, name);
    }
  }

  private serviceTarget(canary: Canary): ServiceTarget {
    const { dep, label } = this.requireTarget(canary);
    return { label, containers: (dep.spec.template.spec?.containers ?? []) as TargetContainer[] };
  }

  async reconcileServices(canary: Canary): Promise<void> {
    await this.services.reconcile(canary, this.serviceTarget(canary));
  }

  async reconcileApexService(canary: Canary): Promise<void> {
    await this.services.reconcileApex(canary, this.serviceTarget(canary));
  }
}
