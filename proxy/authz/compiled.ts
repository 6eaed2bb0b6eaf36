import { parseCidr, type Cidr } from '../../engine/policy/cidr.js';
import type {
  InboundPolicy,
  PolicyAuthentication,
  PolicyAuthorization,
  PolicyRefLabels,
} from '../../engine/policy/types.js';
import { CompiledMatch } from '../../engine/routing/match.js';

/** A policy made ready for the request path: CIDRs parsed, route matches compiled. Built once per policy. */
export interface CompiledAuthorization {
  networks: Array<{ net: Cidr; except: Cidr[] }>;
  authentication: PolicyAuthentication;
  labels: PolicyRefLabels;
  paths: ReadonlySet<string> | undefined;
  audit: boolean;
}

export interface CompiledRoute {
  labels: PolicyRefLabels;
  matches: CompiledMatch[];
  authorizations: CompiledAuthorization[];
}

export interface CompiledPolicy {
  source: InboundPolicy;
  server: PolicyRefLabels;
  authorizations: CompiledAuthorization[];
  routes: CompiledRoute[];
}

function cidrs(list: string[]): Cidr[] {
  // the schemas validated every CIDR; one that does not parse (a bad control plane) matches nothing
  return list.map(parseCidr).filter((c): c is Cidr => c !== undefined);
}

function authorization(a: PolicyAuthorization): CompiledAuthorization {
  return {
    networks: a.networks.flatMap((n) => cidrs([n.net]).map((net) => ({ net, except: cidrs(n.except) }))),
    authentication: a.authentication,
    labels: a.labels,
    paths: a.paths !== undefined ? new Set(a.paths) : undefined,
    audit: a.audit === true,
  };
}

export function compilePolicy(policy: InboundPolicy): CompiledPolicy {
  return {
    source: policy,
    server: policy.server,
    authorizations: policy.authorizations.map(authorization),
    routes: policy.routes.map((r) => ({
      labels: r.labels,
      matches: (r.matches.length > 0 ? r.matches : [undefined]).map((m) => new CompiledMatch(m)),
      authorizations: r.authorizations.map(authorization),
    })),
  };
}
