/**
 * One valid manifest of every kind in engine/resources/registry.ts (the interpreted kinds and the
 * kept-as-is ones), the seeds the manifest mutation tests start from.
 */
const meta = (name: string) => ({ name, namespace: 'test' });
const podSpec = { containers: [{ name: 'app', image: 'podinfo:6.0.0', command: ['node', 'server.js'] }] };
const selector = { matchLabels: { app: 'podinfo' } };
const template = { metadata: { labels: { app: 'podinfo' } }, spec: podSpec };
const svcParent = [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }];

export const VALID_MANIFESTS: Record<string, Record<string, unknown>> = {
  Service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('podinfo'),
    spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898 }] },
  },
  Pod: { apiVersion: 'v1', kind: 'Pod', metadata: meta('podinfo-0'), spec: podSpec },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('config'), data: { key: 'value' } },
  Secret: { apiVersion: 'v1', kind: 'Secret', metadata: meta('secret'), stringData: { token: 'x' } },
  Event: {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('podinfo.1'),
    involvedObject: { kind: 'Canary', name: 'podinfo', namespace: 'test' },
    reason: 'Synced',
    message: 'hello',
    type: 'Normal',
  },
  EndpointSlice: {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...meta('external-1'), labels: { 'kubernetes.io/service-name': 'external' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [{ addresses: ['127.0.0.1'] }],
  },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('podinfo'),
    spec: { replicas: 1, selector, template },
  },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent'), spec: { selector, template } },
  StatefulSet: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('db'),
    spec: { serviceName: 'db', replicas: 1, selector, template },
  },
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('podinfo'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      minReplicas: 1,
      maxReplicas: 3,
    },
  },
  HTTPRoute: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: meta('podinfo'),
    spec: {
      parentRefs: svcParent,
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-user', value: 'a' }] }],
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898, weight: 100 }],
          timeouts: { request: '10s' },
        },
      ],
    },
  },
  GRPCRoute: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: meta('greeter'),
    spec: {
      parentRefs: svcParent,
      rules: [
        {
          matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }],
        },
      ],
    },
  },
  Canary: {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: meta('podinfo'),
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        interval: '10s',
        threshold: 2,
        maxWeight: 50,
        stepWeight: 10,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
        webhooks: [{ name: 'load', type: 'rollout', url: 'http://loadtester/', timeout: '5s' }],
      },
    },
  },
  MetricTemplate: {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: meta('errors'),
    spec: { provider: { type: 'prometheus', address: 'http://prometheus:9090' }, query: 'sum(rate(x[1m]))' },
  },
  AlertProvider: {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'AlertProvider',
    metadata: meta('slack'),
    spec: { type: 'slack', channel: 'alerts', address: 'https://hooks.slack.com/services/x' },
  },
  Server: {
    apiVersion: 'policy.linkerd.io/v1beta3',
    kind: 'Server',
    metadata: meta('web-http'),
    spec: { podSelector: selector, port: 'http', proxyProtocol: 'HTTP/1' },
  },
  AuthorizationPolicy: {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: meta('web-from-client'),
    spec: {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'web-http' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'client-only' }],
    },
  },
  MeshTLSAuthentication: {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'MeshTLSAuthentication',
    metadata: meta('client-only'),
    spec: { identityRefs: [{ kind: 'ServiceAccount', name: 'client' }] },
  },
  NetworkAuthentication: {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'NetworkAuthentication',
    metadata: meta('loopback'),
    spec: { networks: [{ cidr: '127.0.0.0/8', except: ['127.0.0.3/32'] }] },
  },
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } },
  HTTPLocalRateLimitPolicy: {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'HTTPLocalRateLimitPolicy',
    metadata: meta('limit'),
    spec: {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'web-http' },
      total: { requestsPerSecond: 100 },
    },
  },
  EgressNetwork: {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'EgressNetwork',
    metadata: meta('internet'),
    spec: { trafficPolicy: 'Allow' },
  },
  TCPRoute: {
    apiVersion: 'gateway.networking.k8s.io/v1alpha2',
    kind: 'TCPRoute',
    metadata: meta('db'),
    spec: {
      parentRefs: svcParent,
      rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }] }],
    },
  },
  TLSRoute: {
    apiVersion: 'gateway.networking.k8s.io/v1alpha2',
    kind: 'TLSRoute',
    metadata: meta('tls'),
    spec: {
      parentRefs: svcParent,
      hostnames: ['example.com'],
      rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }] }],
    },
  },
};
