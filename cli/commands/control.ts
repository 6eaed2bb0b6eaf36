import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { ACTION_ANNOTATION, isManualAction, withManualRequest, withSuspend } from '../../engine/canary/index.js';
import type { Canary } from '../../engine/resources/index.js';
import { ApiClient, ApiError } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import type { CanaryAction } from './canary-actions.js';

export { canaryActions, isCanaryAction, type CanaryAction } from './canary-actions.js';

export interface ActionRequested {
  action: CanaryAction;
  namespace: string;
  name: string;
  /** promote/abort/retry: the annotation value the controller will handle once */
  request?: string;
  /** pause/resume: the new `spec.suspend` */
  suspend?: boolean;
  message: string;
}

/**
 * Record a manual action on the Canary in the store (engine/canary/manual.ts): promote, abort and retry as
 * the annotation `weir.dev/action`, pause and resume as `spec.suspend`. The controller acts on it at its next
 * tick. Undefined when the Canary does not exist.
 */
export async function requestCanaryAction(
  store: ResourceStore,
  namespace: string,
  name: string,
  action: CanaryAction,
  now: Date,
): Promise<ActionRequested | undefined> {
  const canary = store.get<Canary>('Canary', namespace, name);
  if (!canary) return undefined;
  if (action === 'pause' || action === 'resume') {
    const suspend = action === 'pause';
    await store.apply(withSuspend(canary, suspend), { manager: 'weir-control' });
    return {
      action,
      namespace,
      name,
      suspend,
      message: suspend
        ? `canary ${name}.${namespace} paused: nothing moves until it is resumed`
        : `canary ${name}.${namespace} resumed`,
    };
  }
  if (!isManualAction(action)) throw new Error(`unknown action ${String(action)}`);
  const next = withManualRequest(canary, action, now);
  await store.apply(next, { manager: 'weir-control' });
  const request = next.metadata.annotations?.[ACTION_ANNOTATION];
  return {
    action,
    namespace,
    name,
    ...(request ? { request } : {}),
    message: `${action} requested for canary ${name}.${namespace}; the controller acts on it at its next tick (see status.manualAction)`,
  };
}

/** `weir promote|abort|pause|resume|retry NAME [-n NS]` */
export async function controlCommand(
  action: CanaryAction,
  name: string,
  opts: { namespace?: string; api?: string },
): Promise<number> {
  const ns = opts.namespace ?? 'default';
  const client = new ApiClient(await resolveApiUrl(opts.api));
  try {
    const r = await client.request<ActionRequested>(
      'POST',
      `/weir/v1/namespaces/${encodeURIComponent(ns)}/canaries/${encodeURIComponent(name)}/${action}`,
      {},
    );
    console.log(r.message);
    return 0;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      console.error(`weir ${action}: ${err.message}`);
      return 1;
    }
    console.error(`weir ${action}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
