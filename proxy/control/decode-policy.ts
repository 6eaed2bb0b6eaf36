import { z } from 'zod';
import type { InboundPolicy, PolicyAuthorization, PolicyProtocol, PolicyRefLabels } from '../../engine/policy/index.js';
import { formatPath, httpRouteMatch } from '../../engine/resources/index.js';
import type { Authz__Output } from '../../proto/generated/weir/inbound/v1/Authz.js';
import type { Server__Output } from '../../proto/generated/weir/inbound/v1/Server.js';

const matches = z.array(httpRouteMatch);

const labelsOf = (l: Record<string, string> | undefined): PolicyRefLabels => ({
  group: l?.group ?? '',
  kind: l?.kind ?? '',
  name: l?.name ?? '',
});

function authz(a: Authz__Output): PolicyAuthorization {
  const authn = a.authentication;
  return {
    networks: a.networks.map((n) => ({ net: n.net, except: n.except })),
    authentication:
      authn?.meshTls != null
        ? { kind: 'meshTLS', identities: authn.meshTls.identities, suffixes: authn.meshTls.suffixes }
        : authn?.unauthenticated != null
          ? { kind: 'unauthenticated' }
          : // neither: a permit this proxy does not know admits nobody
            { kind: 'meshTLS', identities: [], suffixes: [] },
    labels: labelsOf(a.labels),
    ...(a.paths.length > 0 ? { paths: a.paths } : {}),
    ...(a.audit ? { audit: true } : {}),
  };
}

/**
 * An InboundServerPolicies `Server` as the `InboundPolicy` the authz layer enforces, validated at the
 * edge: route matches by the engine's HTTPRoute schema. A message that does not validate is an error
 * (the policy in force stays).
 */
export function decodePolicy(server: Server__Output): InboundPolicy | { errors: string[] } {
  const errors: string[] = [];
  const routes = server.httpRoutes.map((r, i) => {
    let raw: unknown;
    try {
      raw = JSON.parse(r.matchesJson);
    } catch {
      errors.push(`httpRoutes[${i}].matchesJson: not JSON`);
      raw = [];
    }
    const parsed = matches.safeParse(raw);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        errors.push(`httpRoutes[${i}].matches${formatPath(issue.path).replace(/^([^[])/, '.$1')}: ${issue.message}`);
    return {
      labels: labelsOf(r.labels),
      matches: parsed.success ? parsed.data : [],
      authorizations: r.authorizations.map(authz),
    };
  });
  if (errors.length > 0) return { errors };
  const limit = server.localRateLimit;
  const protocol = (server.protocol?.kind ?? 'detect') as PolicyProtocol;
  return {
    protocol,
    server: labelsOf(server.labels),
    authorizations: server.authorizations.map(authz),
    routes,
    ...(limit != null
      ? {
          rateLimit: {
            labels: labelsOf(limit.labels),
            ...(limit.total > 0 ? { total: limit.total } : {}),
            ...(limit.identity > 0 ? { identity: limit.identity } : {}),
            overrides: limit.overrides.map((o) => ({
              requestsPerSecond: o.requestsPerSecond,
              identities: o.identities,
            })),
          },
        }
      : {}),
  };
}
