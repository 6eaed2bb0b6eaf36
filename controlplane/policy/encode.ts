import type { InboundPolicy, PolicyAuthorization, PolicyProtocol, PolicyRefLabels } from '../../engine/policy/index.js';
import type { Authz } from '../../proto/generated/weir/inbound/v1/Authz.js';
import type { ProxyProtocol } from '../../proto/generated/weir/inbound/v1/ProxyProtocol.js';
import type { Server } from '../../proto/generated/weir/inbound/v1/Server.js';

/** An `InboundPolicy` (engine/policy) as the InboundServerPolicies `Server` message. */

const labels = (l: PolicyRefLabels): Record<string, string> => ({ group: l.group, kind: l.kind, name: l.name });

function authz(a: PolicyAuthorization): Authz {
  return {
    networks: a.networks.map((n) => ({ net: n.net, except: n.except })),
    authentication:
      a.authentication.kind === 'unauthenticated'
        ? { unauthenticated: {} }
        : { meshTls: { identities: a.authentication.identities, suffixes: a.authentication.suffixes } },
    labels: labels(a.labels),
    paths: a.paths ?? [],
    audit: a.audit === true,
  };
}

export function encodeProtocol(p: PolicyProtocol, detectTimeoutMs: number): ProxyProtocol {
  return p === 'detect' ? { detect: { timeoutMs: detectTimeoutMs } } : { [p]: {} };
}

export function encodePolicy(policy: InboundPolicy, protocol: ProxyProtocol): Server {
  const limit = policy.rateLimit;
  return {
    protocol,
    authorizations: policy.authorizations.map(authz),
    labels: labels(policy.server),
    httpRoutes: policy.routes.map((r) => ({
      labels: labels(r.labels),
      matchesJson: JSON.stringify(r.matches),
      authorizations: r.authorizations.map(authz),
    })),
    ...(limit !== undefined
      ? {
          localRateLimit: {
            labels: labels(limit.labels),
            total: limit.total ?? 0,
            identity: limit.identity ?? 0,
            overrides: limit.overrides.map((o) => ({
              requestsPerSecond: o.requestsPerSecond,
              identities: o.identities,
            })),
          },
        }
      : {}),
  };
}
