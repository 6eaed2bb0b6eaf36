import { hostname } from 'node:os';
import type { DaemonSet, Deployment, PodTemplate, StatefulSet } from '../../engine/resources/index.js';
import type { ResourceStore } from '../store/resource-store.js';

/** The kinds the local runtime runs as processes. */
export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'DaemonSet', 'StatefulSet'];

/** One workload as the runtime sees it, whatever its kind. */
export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  generation: number | undefined;
  template: PodTemplate;
  /** instances wanted: `spec.replicas`; for a DaemonSet 1 (this machine is its one node) or 0 */
  replicas: number;
  minReadySeconds: number;
  /** Deployments only: when `Progressing` turns to ProgressDeadlineExceeded */
  progressDeadlineSeconds?: number;
  /** StatefulSets: pods `<name>-<ordinal>`, created in order (OrderedReady) and replaced highest first */
  ordered?: 'OrderedReady' | 'Parallel';
}

/**
 * The labels of the one node the local runtime is: a DaemonSet's pod runs here unless its template's
 * `nodeSelector` asks for a label this node does not have (Flagger scales a DaemonSet to zero with
 * `flagger.app/scale-to-zero: "true"`, which no node has).
 */
export function localNodeLabels(): Record<string, string> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return {
    'kubernetes.io/hostname': hostname().toLowerCase(),
    'kubernetes.io/os': os,
    'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
  };
}

export function nodeSelectorMatches(template: PodTemplate, node: Record<string, string> = localNodeLabels()): boolean {
  const selector = (template.spec as { nodeSelector?: Record<string, string> }).nodeSelector ?? {};
  return Object.entries(selector).every(([k, v]) => node[k] === v);
}

/** every Deployment, DaemonSet and StatefulSet of the store */
export function listWorkloads(store: ResourceStore): Workload[] {
  const out: Workload[] = [];
  for (const d of store.list<Deployment>('Deployment')) {
    out.push({
      kind: 'Deployment',
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      generation: d.metadata.generation,
      template: d.spec.template,
      replicas: d.spec.replicas,
      minReadySeconds: d.spec.minReadySeconds,
      progressDeadlineSeconds: d.spec.progressDeadlineSeconds,
    });
  }
  for (const d of store.list<DaemonSet>('DaemonSet')) {
    out.push({
      kind: 'DaemonSet',
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      generation: d.metadata.generation,
      template: d.spec.template,
      replicas: nodeSelectorMatches(d.spec.template) ? 1 : 0,
      minReadySeconds: d.spec.minReadySeconds,
    });
  }
  for (const s of store.list<StatefulSet>('StatefulSet')) {
    out.push({
      kind: 'StatefulSet',
      namespace: s.metadata.namespace,
      name: s.metadata.name,
      generation: s.metadata.generation,
      template: s.spec.template,
      replicas: s.spec.replicas,
      minReadySeconds: s.spec.minReadySeconds,
      ordered: s.spec.podManagementPolicy,
    });
  }
  return out;
}

/** the ordinal of a StatefulSet pod `<name>-<n>`, undefined for another name */
export function ordinalOf(set: string, pod: string): number | undefined {
  if (!pod.startsWith(`${set}-`)) return undefined;
  const rest = pod.slice(set.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** counts the status of every kind is made of */
export interface WorkloadCounts {
  live: number;
  updated: number;
  ready: number;
  available: number;
}

/** a DaemonSet's status as the DaemonSet controller writes it */
export function daemonSetStatus(w: Workload, c: WorkloadCounts): Record<string, unknown> {
  return {
    observedGeneration: w.generation,
    desiredNumberScheduled: w.replicas,
    currentNumberScheduled: c.live,
    updatedNumberScheduled: c.updated,
    numberReady: c.ready,
    numberAvailable: c.available,
    numberUnavailable: Math.max(0, w.replicas - c.available),
    numberMisscheduled: 0,
  };
}

/** a StatefulSet's status as the StatefulSet controller writes it */
export function statefulSetStatus(
  w: Workload,
  c: WorkloadCounts,
  hash: string,
  currentHash: string | undefined,
): Record<string, unknown> {
  const updateRevision = `${w.name}-${hash}`;
  return {
    observedGeneration: w.generation,
    replicas: c.live,
    readyReplicas: c.ready,
    availableReplicas: c.available,
    currentReplicas: currentHash === hash ? c.updated : c.live - c.updated,
    updatedReplicas: c.updated,
    currentRevision: currentHash === undefined ? updateRevision : `${w.name}-${currentHash}`,
    updateRevision,
  };
}
