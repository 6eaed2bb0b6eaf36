import type {
  AuthorizationPolicy,
  DefaultPolicyName,
  HTTPLocalRateLimitPolicy,
  HTTPRoute,
  KubeObject,
  MeshTLSAuthentication,
  NetworkAuthentication,
  PolicyRef,
  PolicyServer,
} from '../resources/index.js';
import { DEFAULT_POLICIES, POLICY_GROUP, selectorMatches } from '../resources/index.js';
import { defaultAuthorizations, probeAuthorization } from './defaults.js';
import {
  DEFAULT_POLICY_ANNOTATIONS,
  type InboundPolicy,
  type PolicyAuthentication,
  type PolicyAuthorization,
  type PolicyDefaults,
  type PolicyNetwork,
  type PolicyProtocol,
  type PolicyRefLabels,
  type PolicyRoute,
} from './types.js';

/** The objects of the store a port's policy is compiled from (validated by their schemas). */
export interface PolicyObjects {
  servers: readonly PolicyServer[];
  authorizationPolicies: readonly AuthorizationPolicy[];
  meshTLSAuthentications: readonly MeshTLSAuthentication[];
  networkAuthentications: readonly NetworkAuthentication[];
  rateLimits: readonly HTTPLocalRateLimitPolicy[];
  /** HTTPRoutes; only those parented to a Server (`group: policy.linkerd.io, kind: Server`) count here */
  httpRoutes: readonly HTTPRoute[];
  /** Namespaces (their default-policy annotation) */
  namespaces: readonly KubeObject[];
}

/** One port of one workload instance. */
export interface WorkloadPort {
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  serviceAccount: string;
  port: number;
  /** other port numbers the same listener answers to (the local runtime: every containerPort is the app's one port) */
  otherPorts?: number[];
  /** the pod's named container ports (`http` -> 8080), for Servers that name their port */
  portNames?: Record<string, number>;
  /** the HTTP paths of the pod's readiness/liveness probes on this port (the kubelet's rule) */
  probePaths?: string[];
}

const ALL_NETWORKS: PolicyNetwork[] = [
  { net: '0.0.0.0/0', except: [] },
  { net: '::/0', except: [] },
];

/** the annotation value that sets a default policy, or undefined (unset or not a policy name) */
export function annotatedDefault(annotations: Record<string, string> | undefined): DefaultPolicyName | undefined {
  for (const key of DEFAULT_POLICY_ANNOTATIONS) {
    const v = annotations?.[key];
    if (v !== undefined && (DEFAULT_POLICIES as readonly string[]).includes(v)) return v as DefaultPolicyName;
  }
  return undefined;
}

/** the default policy of a workload: its annotation, else its namespace's, else the mesh's */
export function defaultPolicyOf(w: WorkloadPort, objects: PolicyObjects, defaults: PolicyDefaults): DefaultPolicyName {
  const ns = objects.namespaces.find((n) => n.kind === 'Namespace' && n.metadata.name === w.namespace);
  return annotatedDefault(w.annotations) ?? annotatedDefault(ns?.metadata.annotations) ?? defaults.defaultPolicy;
}

function serverPort(server: PolicyServer, w: WorkloadPort): boolean {
  const p = server.spec.port;
  if (typeof p === 'number') return p === w.port || (w.otherPorts ?? []).includes(p);
  const named = w.portNames?.[p];
  return named !== undefined && (named === w.port || (w.otherPorts ?? []).includes(named));
}

/** the Server selecting the port: the oldest, then by name, when several do (Linkerd's tie-break) */
export function serverFor(w: WorkloadPort, servers: readonly PolicyServer[]): PolicyServer | undefined {
  const matching = servers.filter(
    (s) =>
      s.metadata.namespace === w.namespace &&
      s.spec.podSelector !== undefined &&
      selectorMatches(s.spec.podSelector, w.labels) &&
      serverPort(s, w),
  );
  matching.sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  return matching[0];
}

const PROTOCOLS: Record<PolicyServer['spec']['proxyProtocol'], PolicyProtocol> = {
  unknown: 'detect',
  'HTTP/1': 'http1',
  'HTTP/2': 'http2',
  gRPC: 'grpc',
  opaque: 'opaque',
  TLS: 'tls',
};

const labelsOf = (o: KubeObject): PolicyRefLabels => ({
  group: o.apiVersion.split('/')[0] ?? '',
  kind: o.kind.toLowerCase(),
  name: o.metadata.name,
});

/** the authentication an AuthorizationPolicy requires: what every one of its refs admits, together */
function authorizationOf(
  policy: AuthorizationPolicy,
  objects: PolicyObjects,
  defaults: PolicyDefaults,
): PolicyAuthorization | undefined {
  const ns = policy.metadata.namespace;
  let networks: PolicyNetwork[] | undefined;
  let mesh: { identities: string[]; suffixes: string[] } | undefined;
  const identityOf = (sa: string, saNs: string) => `${sa}.${saNs}.${defaults.identitySuffix}`;
  const addMesh = (identities: string[], suffixes: string[]) => {
    // several mesh refs: a client must satisfy each; Linkerd refuses such a policy, Weir intersects simply
    mesh = mesh === undefined ? { identities, suffixes } : intersect(mesh, { identities, suffixes });
  };
  for (const ref of policy.spec.requiredAuthenticationRefs) {
    const refNs = ref.namespace ?? ns;
    if (ref.kind === 'ServiceAccount') addMesh([identityOf(ref.name ?? '', refNs)], []);
    else if (ref.kind === 'MeshTLSAuthentication') {
      const authn = find(objects.meshTLSAuthentications, refNs, ref.name ?? '');
      if (authn === undefined) return undefined; // a missing ref admits nobody (Linkerd ignores the policy)
      addMesh(...meshIdentities(authn, defaults));
    } else if (ref.kind === 'NetworkAuthentication') {
      const authn = find(objects.networkAuthentications, refNs, ref.name ?? '');
      if (authn === undefined) return undefined;
      const nets = authn.spec.networks.map((n) => ({ net: n.cidr, except: n.except ?? [] }));
      networks = networks === undefined ? nets : networks; // Linkerd allows one NetworkAuthentication
    }
  }
  const authentication: PolicyAuthentication =
    mesh === undefined ? { kind: 'unauthenticated' } : { kind: 'meshTLS', ...mesh };
  return { networks: networks ?? ALL_NETWORKS, authentication, labels: labelsOf(policy) };
}

function intersect(
  a: { identities: string[]; suffixes: string[] },
  b: { identities: string[]; suffixes: string[] },
): { identities: string[]; suffixes: string[] } {
  const admits = (m: typeof a, id: string) => m.identities.includes(id) || m.suffixes.some((s) => suffixMatch(id, s));
  return {
    identities: [...a.identities.filter((i) => admits(b, i)), ...b.identities.filter((i) => admits(a, i))],
    suffixes: a.suffixes.filter((s) => b.suffixes.includes(s)),
  };
}

/** whether identity `id` ends with `suffix` as Linkerd's suffix match: `''` is any, else `.suffix` */
export function suffixMatch(id: string, suffix: string): boolean {
  return suffix === '' || id.endsWith(`.${suffix}`);
}

/** a MeshTLSAuthentication as exact identities and suffixes (`*` -> suffix '', `*.x` -> suffix 'x') */
function meshIdentities(authn: MeshTLSAuthentication, defaults: PolicyDefaults): [string[], string[]] {
  const identities: string[] = [];
  const suffixes: string[] = [];
  for (const id of authn.spec.identities ?? []) {
    if (id === '*') suffixes.push('');
    else if (id.startsWith('*.')) suffixes.push(id.slice(2));
    else identities.push(id);
  }
  for (const ref of authn.spec.identityRefs ?? []) {
    const refNs = ref.namespace ?? authn.metadata.namespace;
    if (ref.kind === 'Namespace') {
      // every ServiceAccount of a namespace (a ref without a name: of any namespace)
      suffixes.push(
        ref.name === undefined || ref.name === '*' ? defaults.identitySuffix : `${ref.name}.${defaults.identitySuffix}`,
      );
    } else if (ref.name === undefined || ref.name === '*') suffixes.push(`${refNs}.${defaults.identitySuffix}`);
    else identities.push(`${ref.name}.${refNs}.${defaults.identitySuffix}`);
  }
  return [identities, suffixes];
}

function find<T extends KubeObject>(list: readonly T[], ns: string, name: string): T | undefined {
  return list.find((o) => o.metadata.namespace === ns && o.metadata.name === name);
}

function targets(ref: PolicyRef, ownNs: string, kind: string, ns: string, name: string, groups: string[]): boolean {
  return (
    ref.kind === kind &&
    groups.includes(ref.group) &&
    (ref.namespace ?? ownNs) === ns &&
    (kind === 'Namespace' || ref.name === name)
  );
}

/** HTTPRoutes whose parentRefs name this Server */
function routesOf(server: PolicyServer, routes: readonly HTTPRoute[]): HTTPRoute[] {
  const ns = server.metadata.namespace;
  return routes.filter((r) =>
    (r.spec.parentRefs ?? []).some(
      (p) =>
        p.group === POLICY_GROUP &&
        p.kind === 'Server' &&
        p.name === server.metadata.name &&
        (p.namespace ?? r.metadata.namespace) === ns,
    ),
  );
}

/**
 * The inbound policy of one port of a workload, as Linkerd's policy controller computes it:
 * - no Server selects the port: the default policy (workload annotation, namespace annotation, mesh);
 * - else the Server's protocol and the AuthorizationPolicies targeting it or its Namespace, then its
 *   `accessPolicy` for everyone they do not admit (`deny`: nothing);
 * - HTTPRoutes parented to the Server carry the policies targeting each route; server-wide ones apply
 *   to every route too;
 * - the HTTPLocalRateLimitPolicy targeting the Server;
 * - the kubelet's rule: GET on the pod's probe paths from loopback is always allowed.
 */
export function compileInboundPolicy(w: WorkloadPort, objects: PolicyObjects, defaults: PolicyDefaults): InboundPolicy {
  const probe = w.probePaths !== undefined && w.probePaths.length > 0 ? [probeAuthorization(w.probePaths)] : [];
  const server = serverFor(w, objects.servers);
  if (server === undefined) {
    const name = defaultPolicyOf(w, objects, defaults);
    return {
      protocol: 'detect',
      server: { group: '', kind: 'default', name },
      authorizations: [...probe, ...defaultAuthorizations(name, defaults.clusterNetworks)],
      routes: [],
    };
  }
  const ns = server.metadata.namespace;
  const policies = objects.authorizationPolicies.filter((p) => p.metadata.namespace === ns);
  const serverWide = policies
    .filter(
      (p) =>
        targets(p.spec.targetRef, ns, 'Server', ns, server.metadata.name, [POLICY_GROUP]) ||
        targets(p.spec.targetRef, ns, 'Namespace', ns, '', ['']),
    )
    .map((p) => authorizationOf(p, objects, defaults))
    .filter((a): a is PolicyAuthorization => a !== undefined);
  const fallback = defaultAuthorizations(server.spec.accessPolicy, defaults.clusterNetworks);
  const routes: PolicyRoute[] = routesOf(server, objects.httpRoutes).map((route) => ({
    labels: { group: route.apiVersion.split('/')[0] ?? '', kind: 'httproute', name: route.metadata.name },
    matches: (route.spec.rules ?? []).flatMap((rule) => rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]),
    authorizations: [
      ...policies
        .filter((p) =>
          targets(p.spec.targetRef, ns, 'HTTPRoute', route.metadata.namespace, route.metadata.name, [
            POLICY_GROUP,
            'gateway.networking.k8s.io',
          ]),
        )
        .map((p) => authorizationOf(p, objects, defaults))
        .filter((a): a is PolicyAuthorization => a !== undefined),
      ...serverWide,
      ...fallback,
    ],
  }));
  const limit = objects.rateLimits.find(
    (l) =>
      l.metadata.namespace === ns && targets(l.spec.targetRef, ns, 'Server', ns, server.metadata.name, [POLICY_GROUP]),
  );
  return {
    protocol: PROTOCOLS[server.spec.proxyProtocol],
    server: { group: POLICY_GROUP, kind: 'server', name: server.metadata.name },
    authorizations: [...probe, ...serverWide, ...fallback],
    routes:
      routes.length > 0 && probe.length > 0
        ? [
            {
              labels: { group: '', kind: 'default', name: 'probe' },
              matches: probeMatches(w.probePaths!),
              authorizations: probe,
            },
            ...routes,
          ]
        : routes,
    ...(limit !== undefined
      ? {
          rateLimit: {
            labels: labelsOf(limit),
            ...(limit.spec.total !== undefined ? { total: limit.spec.total.requestsPerSecond } : {}),
            ...(limit.spec.identity !== undefined ? { identity: limit.spec.identity.requestsPerSecond } : {}),
            overrides: (limit.spec.overrides ?? []).map((o) => ({
              requestsPerSecond: o.requestsPerSecond,
              identities: o.clientRefs.map((r) => `${r.name}.${r.namespace ?? ns}.${defaults.identitySuffix}`),
            })),
          },
        }
      : {}),
  };
}

function probeMatches(paths: string[]) {
  return paths.map((value) => ({ path: { type: 'Exact' as const, value }, method: 'GET' as const }));
}
