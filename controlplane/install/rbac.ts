import { commonLabels, names } from './options.js';

/**
 * Service accounts and least-privilege RBAC, one ClusterRole per component, listing the verbs and resources
 * each one's code uses:
 * - the controller (rollouts/): reads Canaries, MetricTemplates, AlertProviders, the targets and their
 *   ConfigMaps/Secrets; writes Canary status and finalizers, the primary workload and its ConfigMap/Secret
 *   copies, the generated Services (and EndpointSlice copies of selector-less ones), the primary HPA, the
 *   HTTPRoute/GRPCRoute weights, and Events;
 * - the control plane (controlplane/discovery, policy, egress, identity): reads Services, EndpointSlices,
 *   Pods, Namespaces, routes and Linkerd policy kinds; creates TokenReviews (identity);
 * - the injector: reads Namespaces (their `weir.io/inject` annotation).
 */

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

const READ = ['get', 'list', 'watch'];
const WRITE = [...READ, 'create', 'update', 'patch', 'delete'];

export const controllerRules: Rule[] = [
  { apiGroups: ['flagger.app'], resources: ['canaries'], verbs: [...READ, 'update', 'patch'] },
  { apiGroups: ['flagger.app'], resources: ['canaries/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['flagger.app'], resources: ['metrictemplates', 'alertproviders'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets'], verbs: WRITE },
  { apiGroups: [''], resources: ['services', 'configmaps', 'secrets'], verbs: WRITE },
  { apiGroups: [''], resources: ['pods'], verbs: READ },
  { apiGroups: [''], resources: ['events'], verbs: WRITE },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: WRITE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes', 'grpcroutes'], verbs: WRITE },
];

export const controlPlaneRules: Rule[] = [
  { apiGroups: [''], resources: ['services', 'pods', 'namespaces'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: ['httproutes', 'grpcroutes', 'tcproutes', 'tlsroutes'],
    verbs: READ,
  },
  {
    apiGroups: ['policy.linkerd.io'],
    resources: [
      'servers',
      'authorizationpolicies',
      'meshtlsauthentications',
      'networkauthentications',
      'httplocalratelimitpolicies',
      'egressnetworks',
    ],
    verbs: READ,
  },
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
];

export const injectorRules: Rule[] = [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }];

/** ServiceAccount, ClusterRole and ClusterRoleBinding of one component. */
export function componentRbac(component: string, namespace: string, rules: Rule[]): Record<string, unknown>[] {
  const labels = commonLabels(component);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: component, namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: component, labels },
      rules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: component, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: component },
      subjects: [{ kind: 'ServiceAccount', name: component, namespace }],
    },
  ];
}

export const rbacFor = {
  controller: (ns: string) => componentRbac(names.controller, ns, controllerRules),
  controlPlane: (ns: string) => componentRbac(names.controlPlane, ns, controlPlaneRules),
  injector: (ns: string) => componentRbac(names.injector, ns, injectorRules),
};
