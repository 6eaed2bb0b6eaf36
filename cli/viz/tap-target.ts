import type { Pod } from '../../engine/resources/index.js';
import type { ApiClient } from '../api-client.js';
import { parseTarget, resourceName, targetPods, type VizKind } from './workloads.js';

export interface TapFlags {
  path?: string;
  method?: string;
  authority?: string;
}

/** the tap filter flags, checked as the sidecars check them; a string is the usage error */
export function checkTapFlags(f: TapFlags): string | undefined {
  if (f.path !== undefined && !f.path.startsWith('/')) return `--path must start with "/" (got "${f.path}")`;
  if (f.method !== undefined && !/^[A-Za-z]+$/.test(f.method))
    return `--method must be an HTTP method (got "${f.method}")`;
  return undefined;
}

/** what is tapped: `deploy/NAME`, `pod/NAME`, `svc/NAME`, or every pod (`deploy` alone, or nothing) */
export type Tapped = { kind: VizKind; name?: string };

export function parseTapTarget(target: string | undefined): Tapped | string {
  return parseTarget(target ?? 'deploy', undefined, ['deployment', 'pod', 'service']);
}

/**
 * The pods of the target now; at the start, a target that does not exist is the NotFound message and one
 * without a meshed pod an error too (a string either way).
 */
export async function firstPods(client: ApiClient, t: Tapped, namespace: string | undefined): Promise<Pod[] | string> {
  const pods = await targetPods(client, t, namespace);
  if (pods === undefined) return `Error from server (NotFound): ${resourceName(t.kind)} "${t.name ?? ''}" not found`;
  return pods;
}

export const currentPods = async (client: ApiClient, t: Tapped, namespace: string | undefined): Promise<Pod[]> =>
  (await targetPods(client, t, namespace)) ?? [];
