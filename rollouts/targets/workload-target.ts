import type { ConfigRef, Readiness, TrackableConfig, WorkloadObservation } from '../../engine/canary/index.js';
import { primaryConfigName, templateHash, trackedConfigs, withPrimaryConfigs } from '../../engine/canary/index.js';
import type {
  Canary,
  ConfigMap,
  KubeObject,
  LabelSelector,
  Pod,
  PodTemplate,
  Secret,
} from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { GeneratedServices, type ServiceTarget, type TargetContainer } from './generated-services.js';
import { sameJson, withoutStatus } from './objects.js';
import {
  FLAGGER_ID_ANNOTATION,
  MANAGED_BY,
  MANAGED_BY_ANNOTATION,
  podFailure,
  primaryName,
  revisionId,
  secretData,
  SELECTOR_LABELS,
  selectorLabel,
} from './pods.js';
import type { TargetAdapter } from './target-adapter.js';
import type { PrimaryScaler } from './autoscaler.js';

/** A workload with a pod template and a label selector: a Deployment, DaemonSet or StatefulSet. */
export interface PodWorkload extends KubeObject {
  spec: { selector: LabelSelector; template: PodTemplate; replicas?: number } & Record<string, unknown>;
}

export type AppLabel = { key: string; value: string };

/**
 * What the workload kinds share as canary targets (Flagger's `DeploymentController` and
 * `DaemonSetController` are two copies of it): the `-primary` copy with Flagger's labels and its config
 * copies, readiness, the generated Services, promotion and `revertOnDeletion`. A kind says how it counts
 * replicas, how it scales, when it is ready and which spec fields promotion copies.
 */
export abstract class WorkloadTarget<W extends PodWorkload> implements TargetAdapter {
  abstract readonly kind: 'Deployment' | 'DaemonSet' | 'StatefulSet';
  /** `deployment`, `daemonset`, `statefulset`: in messages */
  protected abstract readonly noun: string;
  /** `deployments.apps`: in the not-found error, as the API server words it */
  protected abstract readonly resource: string;

  protected readonly services: GeneratedServices;

  constructor(
    protected readonly store: ResourceStore,
    /** the `-primary` HPA of `autoscalerRef` (none: autoscalers are not managed) */
    protected readonly scaler?: PrimaryScaler,
  ) {
    this.services = new GeneratedServices(store, MANAGED_BY);
  }

  /** the replicas the workload asks for now */
  protected abstract replicasOf(w: W): number;
  /** Flagger's readiness of this kind; the message is prefixed by the caller */
  protected abstract readiness(w: W, threshold: number, canary: Canary, now: Date): Readiness;
  /** the target with `replicas` instances, or undefined when it already has them */
  protected abstract withReplicas(w: W, replicas: number): W | undefined;
  /** the spec of a new primary from the target (selector and template already Flagger's) */
  protected abstract newPrimarySpec(
    target: W,
    selector: LabelSelector,
    template: PodTemplate,
    canary: Canary,
  ): W['spec'];
  /** the primary's spec after promotion: the target's template and the fields Flagger copies */
  protected abstract promotedSpec(primary: W, target: W, template: PodTemplate, canary: Canary): W['spec'];
  /** the template a revision is the hash of (a DaemonSet's without the scale-to-zero node selector) */
  protected revisionTemplate(w: W): PodTemplate {
    return w.spec.template;
  }

  protected target(canary: Canary): W | undefined {
    return this.store.get<W>(this.kind, canary.metadata.namespace, canary.spec.targetRef.name);
  }

  protected primary(canary: Canary): W | undefined {
    return this.store.get<W>(this.kind, canary.metadata.namespace, primaryName(canary));
  }

  protected requireTarget(canary: Canary): { dep: W; label: AppLabel } {
    const dep = this.target(canary);
    if (!dep) throw new Error(`${this.noun} ${canary.spec.targetRef.name}.${canary.metadata.namespace} not found`);
    const label = selectorLabel(dep);
    if (!label) {
      throw new Error(
        `selector not found for ${this.noun} ${dep.metadata.name}.${dep.metadata.namespace}: spec.selector.matchLabels needs one of ${SELECTOR_LABELS.join(', ')}`,
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
  trackedConfigs(canary: Canary, dep: W): Record<string, string> {
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
        error: `${this.resource} "${canary.spec.targetRef.name}" not found`,
      };
    }
    const threshold = canary.spec.analysis?.canaryReadyThreshold ?? 100;
    const r = this.readiness(dep, threshold, canary, now);
    let readiness: Readiness = r;
    if (!r.ready) {
      const stuck = podFailure(
        this.store.list<Pod>('Pod', dep.metadata.namespace),
        dep.spec.selector.matchLabels ?? {},
      );
      const why = stuck ? `; pod ${stuck.pod} ${stuck.reason}: ${stuck.message}` : '';
      readiness = {
        ...r,
        message: `canary ${this.noun} ${dep.metadata.name}.${dep.metadata.namespace} not ready: ${r.message}${why}`,
        ...(stuck ? { pod: stuck } : {}),
      };
    }
    return {
      exists: true,
      replicas: this.replicasOf(dep),
      templateHash: templateHash(this.revisionTemplate(dep)),
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
    const replicas = this.replicasOf(dep);
    if (replicas === 0) {
      return {
        exists: true,
        replicas: 0,
        readiness: {
          ready: false,
          retriable: false,
          message: `halt advancement ${name} primary ${this.noun} is scaled to zero`,
        },
      };
    }
    const threshold = canary.spec.analysis?.primaryReadyThreshold ?? 100;
    const r = this.readiness(dep, threshold, canary, now);
    return {
      exists: true,
      replicas,
      templateHash: templateHash(this.revisionTemplate(dep)),
      readiness: r.ready ? r : { ...r, message: `${name} not ready: ${r.message}` },
    };
  }

  /**
   * The primary's pod template: the target's, labelled `<key>: <value>-primary`, with references to tracked
   * configs renamed to their `-primary` copies (Flagger `ApplyPrimaryConfigs`), and annotated with the
   * revision's `flagger-id`, so that a change of a tracked config alone still rolls the primary's pods (which
   * read the `-primary` copies only when they start).
   */
  protected primaryTemplate(dep: W, label: AppLabel, tracked: Record<string, string>): PodTemplate {
    const revision = this.revisionTemplate(dep);
    const template = withPrimaryConfigs(revision, tracked);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata.labels, [label.key]: `${label.value}-primary` },
      annotations: {
        ...template.metadata.annotations,
        [FLAGGER_ID_ANNOTATION]: revisionId(revision, tracked),
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
    const primary = {
      apiVersion: 'apps/v1',
      kind: this.kind,
      metadata: {
        name: primaryName(canary),
        namespace: canary.metadata.namespace,
        labels: { ...dep.metadata.labels, [label.key]: value },
        annotations: { ...dep.metadata.annotations, [MANAGED_BY_ANNOTATION]: MANAGED_BY },
      },
      spec: this.newPrimarySpec(
        dep,
        { matchLabels: { [label.key]: value } },
        this.primaryTemplate(dep, label, tracked),
        canary,
      ),
    } as unknown as W;
    await this.store.apply(primary, { manager: MANAGED_BY });
  }

  async promote(canary: Canary): Promise<void> {
    const { dep, label } = this.requireTarget(canary);
    const primary = this.primary(canary);
    if (!primary) throw new Error(`${this.noun} ${primaryName(canary)}.${canary.metadata.namespace} not found`);
    const tracked = this.trackedConfigs(canary, dep);
    await this.syncPrimaryConfigs(canary, tracked);
    const next = withoutStatus(primary);
    next.spec = this.promotedSpec(primary, dep, this.primaryTemplate(dep, label, tracked), canary);
    if (!sameJson(next.spec, primary.spec)) await this.store.apply(next, { manager: MANAGED_BY });
  }

  async reconcilePrimaryScaler(canary: Canary, init: boolean): Promise<void> {
    await this.scaler?.reconcile(canary, init);
  }

  async scaleTarget(canary: Canary, replicas: number): Promise<void> {
    const dep = this.target(canary);
    if (!dep) throw new Error(`${this.noun} ${canary.spec.targetRef.name}.${canary.metadata.namespace} not found`);
    const n = replicas > 0 ? (this.scaler?.scaleFromZero(canary, replicas) ?? replicas) : replicas;
    const next = this.withReplicas(dep, n);
    if (next) await this.store.apply(next, { manager: MANAGED_BY });
  }

  podSelector(canary: Canary, which: 'canary' | 'primary'): Record<string, string> | undefined {
    const dep = which === 'canary' ? this.target(canary) : this.primary(canary);
    return dep?.spec.selector.matchLabels;
  }

  async revertTarget(canary: Canary): Promise<void> {
    const primary = this.primary(canary);
    // Flagger `Finalize`: the primary's replicas, or ScaleFromZero (at least one) without a primary
    await this.scaleTarget(canary, Math.max(1, primary ? this.replicasOf(primary) : 1));
  }

  async release(canary: Canary): Promise<void> {
    const ns = canary.metadata.namespace;
    await this.services.releaseApex(canary, this.serviceTarget(canary));
    await this.services.remove(canary);
    await this.scaler?.remove(canary);
    if (this.primary(canary)) await this.store.delete(this.kind, ns, primaryName(canary));
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
