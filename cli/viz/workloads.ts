import {
  ANNOTATION_PROXY_ADMIN,
  selectorMatches,
  type Deployment,
  type Pod,
  type Service,
} from '../../engine/resources/index.js';
import type { ApiClient } from '../api-client.js';

/** The resource types the traffic views take, as Linkerd's `viz stat` names them. */
export type VizKind = 'deployment' | 'pod' | 'service' | 'route';

const KINDS: Record<string, VizKind> = {
  deploy: 'deployment',
  deployment: 'deployment',
  deployments: 'deployment',
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  svc: 'service',
  service: 'service',
  services: 'service',
  route: 'route',
  routes: 'route',
  httproute: 'route',
  httproutes: 'route',
};

/** `deploy`, `deploy/web`, `deploy web`: the kind and the name, or the usage error */
export function parseTarget(
  type: string,
  name: string | undefined,
  allowed: readonly VizKind[],
): { kind: VizKind; name?: string } | string {
  const slash = type.indexOf('/');
  const t = slash < 0 ? type : type.slice(0, slash);
  const n = slash < 0 ? name : type.slice(slash + 1);
  const kind = KINDS[t.toLowerCase()];
  if (kind === undefined || !allowed.includes(kind))
    return `unknown resource type "${t}" (want ${allowed.map(shortName).join(', ')})`;
  if (n === '') return `"${type}" names no ${kind}`;
  return n === undefined ? { kind } : { kind, name: n };
}

export function shortName(kind: VizKind): string {
  return { deployment: 'deploy', pod: 'pod', service: 'svc', route: 'route' }[kind];
}

/** kubectl's name of the resource in NotFound errors */
export function resourceName(kind: VizKind): string {
  return {
    deployment: 'deployments.apps',
    pod: 'pods',
    service: 'services',
    route: 'httproutes.gateway.networking.k8s.io',
  }[kind];
}

/** the `127.0.0.1:PORT` of a pod's sidecar admin port; undefined: not meshed */
export function adminOf(pod: Pod): string | undefined {
  return pod.metadata.annotations?.[ANNOTATION_PROXY_ADMIN];
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** a pod that is not gone: running or starting */
function live(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** A group of pods shown as one row: a Deployment's, a Service's, or one pod. */
export interface Workload {
  namespace: string;
  name: string;
  pods: Pod[];
}

export async function listPods(client: ApiClient, namespace: string | undefined): Promise<Pod[]> {
  return ((await client.list('Pod', namespace)) as Pod[]).filter(live);
}

/** the rows' workloads of `kind` (deployment, pod, service) in `namespace` (undefined: all) */
export async function workloads(
  client: ApiClient,
  kind: Exclude<VizKind, 'route'>,
  namespace: string | undefined,
  pods: Pod[],
): Promise<Workload[]> {
  const inNs = (ns: string) => pods.filter((p) => p.metadata.namespace === ns);
  if (kind === 'pod') return pods.map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name, pods: [p] }));
  if (kind === 'deployment') {
    const deps = (await client.list('Deployment', namespace)) as Deployment[];
    return deps.map((d) => ({
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      pods: inNs(d.metadata.namespace).filter((p) => selectorMatches(d.spec.selector, p.metadata.labels)),
    }));
  }
  const svcs = (await client.list('Service', namespace)) as Service[];
  return svcs.map((s) => {
    const sel = s.spec.selector;
    return {
      namespace: s.metadata.namespace,
      name: s.metadata.name,
      pods:
        sel === undefined || Object.keys(sel).length === 0
          ? []
          : inNs(s.metadata.namespace).filter((p) => selectorMatches({ matchLabels: sel }, p.metadata.labels)),
    };
  });
}

/** pods of a tap or top target: `deploy/NAME`, `pod/NAME`, or every pod (`deploy` without a name) */
export async function targetPods(
  client: ApiClient,
  target: { kind: VizKind; name?: string },
  namespace: string | undefined,
): Promise<Pod[] | undefined> {
  const pods = await listPods(client, namespace);
  if (target.name === undefined) return pods;
  if (target.kind === 'pod') {
    const p = pods.filter((x) => x.metadata.name === target.name);
    return p.length === 0 ? undefined : p;
  }
  const all = await workloads(client, target.kind as 'deployment' | 'service', namespace, pods);
  return all.find((w) => w.name === target.name)?.pods;
}
