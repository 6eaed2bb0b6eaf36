import {
  compileInboundPolicy,
  DEFAULT_POLICY_DEFAULTS,
  type PolicyDefaults,
  type WorkloadPort,
} from '../../engine/policy/index.js';
import type { InboundPolicy } from '../../engine/policy/types.js';
import type { PolicyObjects } from '../../engine/policy/compile.js';
import { parseManifests, type KubeObject } from '../../engine/resources/index.js';

/** the workload behind the inbound proxy: pod of Deployment `web` in `test`, ServiceAccount `web` */
export const WEB_POD: WorkloadPort = {
  namespace: 'test',
  labels: { app: 'web' },
  serviceAccount: 'web',
  port: 8080,
  portNames: { http: 8080 },
};

/** YAML manifests -> the store's policy objects (each validated by its schema; a bad one throws) */
export function objectsOf(yaml: string): PolicyObjects {
  const r = parseManifests(yaml, 'policy.yaml');
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const of = <T>(kind: string) => r.objects.filter((o: KubeObject) => o.kind === kind) as unknown as T[];
  return {
    servers: of('Server'),
    authorizationPolicies: of('AuthorizationPolicy'),
    meshTLSAuthentications: of('MeshTLSAuthentication'),
    networkAuthentications: of('NetworkAuthentication'),
    rateLimits: of('HTTPLocalRateLimitPolicy'),
    httpRoutes: of('HTTPRoute'),
    namespaces: of('Namespace'),
  };
}

export function policyOf(
  yaml: string,
  w: Partial<WorkloadPort> = {},
  defaults: Partial<PolicyDefaults> = {},
): InboundPolicy {
  return compileInboundPolicy({ ...WEB_POD, ...w }, objectsOf(yaml), { ...DEFAULT_POLICY_DEFAULTS, ...defaults });
}
