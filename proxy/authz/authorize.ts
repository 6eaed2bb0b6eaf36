import { inCidr, parseAddress, suffixMatch } from '../../engine/policy/index.js';
import type { PolicyRefLabels } from '../../engine/policy/types.js';
import { LazyQuery, pathEnd, type RoutableRequest } from '../../engine/routing/request.js';
import type { CompiledAuthorization, CompiledPolicy, CompiledRoute } from './compiled.js';

/** Who is calling: the connection's address and what its TLS proved. */
export interface Client {
  address: string | undefined;
  /** the verified mesh identity; undefined: plaintext or TLS without a client certificate */
  identity: string | undefined;
}

export type Verdict = 'allow' | 'audit' | 'deny' | 'no-route';

export interface Decision {
  verdict: Verdict;
  server: PolicyRefLabels;
  /** the route the request matched (HTTP), `default` when the Server has none */
  route: PolicyRefLabels | undefined;
  /** the authorization that admitted the client */
  authz: PolicyRefLabels | undefined;
}

export const DEFAULT_ROUTE: PolicyRefLabels = { group: '', kind: 'default', name: 'default' };

/** whether one authorization admits the client (and, for path-restricted ones, the request) */
export function admits(
  a: CompiledAuthorization,
  client: Client,
  request: { method?: string; path?: string } | undefined,
): boolean {
  if (a.paths !== undefined) {
    if (request === undefined || request.method !== 'GET' || request.path === undefined || !a.paths.has(request.path))
      return false;
  }
  const addr = client.address !== undefined ? parseAddress(client.address) : undefined;
  if (addr === undefined) return false;
  const inNetwork = a.networks.some((n) => inCidr(addr, n.net) && !n.except.some((e) => inCidr(addr, e)));
  if (!inNetwork) return false;
  const authn = a.authentication;
  if (authn.kind === 'unauthenticated') return true;
  const id = client.identity;
  if (id === undefined) return false;
  return authn.identities.includes(id) || authn.suffixes.some((s) => suffixMatch(id, s));
}

function decide(
  policy: CompiledPolicy,
  route: PolicyRefLabels | undefined,
  list: CompiledAuthorization[],
  client: Client,
  request: { method?: string; path?: string } | undefined,
): Decision {
  for (const a of list)
    if (admits(a, client, request))
      return { verdict: a.audit ? 'audit' : 'allow', server: policy.server, route, authz: a.labels };
  return { verdict: 'deny', server: policy.server, route, authz: undefined };
}

const query = new LazyQuery();

/** the route of an HTTP request: the first route with a matching match (undefined: none matches) */
function routeOf(policy: CompiledPolicy, req: RoutableRequest): CompiledRoute | undefined {
  const url = req.url ?? '/';
  const end = pathEnd(url);
  query.reset(url, end);
  return policy.routes.find((r) => r.matches.some((m) => m.test(req, url, end, query)));
}

/** the decision for one HTTP request (HTTP/1.1, HTTP/2, gRPC) */
export function authorizeRequest(policy: CompiledPolicy, client: Client, req: RoutableRequest): Decision {
  const url = req.url ?? '/';
  const request = { method: req.method, path: url.slice(0, pathEnd(url)) };
  if (policy.routes.length === 0) return decide(policy, DEFAULT_ROUTE, policy.authorizations, client, request);
  const route = routeOf(policy, req);
  if (route === undefined) return { verdict: 'no-route', server: policy.server, route: undefined, authz: undefined };
  return decide(policy, route.labels, route.authorizations, client, request);
}

/** the decision for an opaque TCP connection: server-wide authorizations, path-restricted ones never */
export function authorizeConnection(policy: CompiledPolicy, client: Client): Decision {
  return decide(policy, undefined, policy.authorizations, client, undefined);
}
