import { laneValue, releaseOf } from '../../engine/canary/release.js';
import type { Canary } from '../../engine/resources/index.js';
import type { ResourceStore } from '../store/resource-store.js';

/**
 * Coordinated canaries (engine/canary/release.ts): the lane of a pod the runtime starts. A pod of a workload
 * that a Canary with a `weir.io/release` label targets is a canary pod of that release (the `-primary` copy
 * is another workload): its sidecar gets `--lane <namespace>/<release>`. Read when the pod starts: the
 * target's pods are started for each new revision, after the Canary says which release it is in.
 */
export function podLane(store: ResourceStore, namespace: string, kind: string, workload: string): string | undefined {
  for (const c of store.list<Canary>('Canary', namespace)) {
    if (c.spec.targetRef.kind !== kind || c.spec.targetRef.name !== workload) continue;
    const release = releaseOf(c);
    if (release !== undefined) return laneValue(namespace, release);
  }
  return undefined;
}
