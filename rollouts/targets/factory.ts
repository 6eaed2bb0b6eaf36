import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { PrimaryScaler } from './autoscaler.js';
import { DaemonSetTarget } from './daemonset.js';
import { DeploymentTarget } from './deployment.js';
import { ServiceTarget } from './service.js';
import { StatefulSetTarget } from './statefulset.js';
import type { TargetAdapter } from './target-adapter.js';

/**
 * The target adapters by `targetRef.kind`, as Flagger's `canary.Factory.Controller`: one file per kind.
 * (A Knative Service target is refused by the Canary's validation before it gets here.)
 */
export function targetAdapters(store: ResourceStore): Record<string, TargetAdapter> {
  const scaler = new PrimaryScaler(store);
  return {
    Deployment: new DeploymentTarget(store, scaler),
    DaemonSet: new DaemonSetTarget(store),
    StatefulSet: new StatefulSetTarget(store, scaler),
    Service: new ServiceTarget(store),
  };
}
