import type { DefaultPolicyName, HTTPRouteMatch } from '../resources/index.js';

/**
 * The inbound policy of one port of one workload, as the proxy enforces it: linkerd2-proxy-api's
 * `InboundServerPolicies` `Server`, in plain values. Produced by `compileInboundPolicy` (pure), carried
 * over the inbound-policy stream, enforced by `proxy/authz/`.
 */

/** what the proxy expects on the port (`detect`: sniff HTTP, else opaque) */
export type PolicyProtocol = 'detect' | 'http1' | 'http2' | 'grpc' | 'opaque' | 'tls';

/** the resource a decision comes from, for metric labels (`srv_kind`, `authz_name`, ...) */
export interface PolicyRefLabels {
  group: string;
  kind: string;
  name: string;
}

/** who may pass: a client proving no identity, or one of these mesh identities (exact, or by suffix) */
export type PolicyAuthentication =
  { kind: 'unauthenticated' } | { kind: 'meshTLS'; identities: string[]; suffixes: string[] };

export interface PolicyNetwork {
  /** CIDR */
  net: string;
  except: string[];
}

/** One way in: a client whose address is in one of `networks` and who satisfies `authentication`. */
export interface PolicyAuthorization {
  networks: PolicyNetwork[];
  authentication: PolicyAuthentication;
  labels: PolicyRefLabels;
  /** only these HTTP request paths (the kubelet's probe rule), any method GET; undefined: every request */
  paths?: string[];
  /** `audit`: allowed, but counted and logged as a request the policy would deny */
  audit?: boolean;
}

/** An HTTPRoute parented to the Server: its requests are authorized by its own authorizations. */
export interface PolicyRoute {
  labels: PolicyRefLabels;
  /** Gateway API matches, ORed; empty: every request */
  matches: HTTPRouteMatch[];
  authorizations: PolicyAuthorization[];
}

export interface PolicyRateLimit {
  labels: PolicyRefLabels;
  /** requests per second over every client */
  total?: number;
  /** requests per second per client identity (clients without one share a bucket) */
  identity?: number;
  overrides: Array<{ requestsPerSecond: number; identities: string[] }>;
}

export interface InboundPolicy {
  protocol: PolicyProtocol;
  /** the Server (or `kind: default`, `name: <default policy>`) */
  server: PolicyRefLabels;
  /** server-wide authorizations, tried in order; the first that admits the client decides */
  authorizations: PolicyAuthorization[];
  /** HTTPRoutes parented to the Server; when present, a request matching none is answered 404 */
  routes: PolicyRoute[];
  rateLimit?: PolicyRateLimit;
}

/** The mesh-wide defaults a compiler needs. */
export interface PolicyDefaults {
  /** the policy of ports no Server selects (`weir up --default-inbound-policy`), default `all-unauthenticated` */
  defaultPolicy: DefaultPolicyName;
  /** the networks of the `cluster-*` policies */
  clusterNetworks: string[];
  /** `<sa>.<ns>.` + this is a ServiceAccount's identity */
  identitySuffix: string;
}

/** Linkerd's default cluster networks, plus loopback: a local mesh's pods all live there */
export const LINKERD_CLUSTER_NETWORKS = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'];
export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];

export const DEFAULT_POLICY_DEFAULTS: PolicyDefaults = {
  defaultPolicy: 'all-unauthenticated',
  clusterNetworks: [...LINKERD_CLUSTER_NETWORKS, ...LOOPBACK_NETWORKS],
  identitySuffix: 'serviceaccount.identity.weir.cluster.local',
};

/** the annotations that set a namespace's or a workload's default policy (the first that is set wins) */
export { DEFAULT_POLICY_ANNOTATIONS } from '../resources/default-policy-annotation.js';
