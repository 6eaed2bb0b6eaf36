import { describe, expect, it } from 'vitest';
import { parseManifests, formatResourceError, type Canary } from '../../../engine/resources/index.js';
import { decode, withField, yamlDoc, type Doc } from './helpers.js';

/** A Flagger Canary with every field of the CRD set (artifacts/flagger/crd.yaml, flagger.md 1.1-1.3). */
const completeCanary = yamlDoc(`
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
  labels: { app: podinfo }
  annotations: { team: web }
spec:
  provider: gatewayapi:v1
  metricsServer: http://prometheus.monitoring:9090
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  autoscalerRef:
    apiVersion: keda.sh/v1alpha1
    kind: ScaledObject
    name: podinfo-so
    primaryScalerQueries:
      prom-trigger: sum(rate(http_requests_total{deployment="podinfo-primary"}[2m]))
    primaryScalerReplicas:
      minReplicas: 2
      maxReplicas: 5
  ingressRef:
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    name: podinfo
  routeRef:
    apiVersion: apisix.apache.org/v2
    kind: ApisixRoute
    name: podinfo
  upstreamRef:
    apiVersion: gloo.solo.io/v1
    kind: Upstream
    name: podinfo
    namespace: gloo
  service:
    name: podinfo
    port: 9898
    portName: http
    targetPort: http
    appProtocol: http
    trafficDistribution: PreferClose
    portDiscovery: true
    headless: false
    timeout: 30s
    backendTimeout: 10s
    meshName: global
    backends: [backend.test]
    gateways: [public-gateway.istio-system.svc.cluster.local, mesh]
    gatewayRefs:
      - name: podinfo
        namespace: test
        group: core
        kind: Service
        port: 9898
      - name: public
        namespace: gateways
        sectionName: https
    hosts: [app.example.com]
    delegation: false
    trafficPolicy:
      tls:
        mode: ISTIO_MUTUAL
      connectionPool:
        http:
          http1MaxPendingRequests: 100
      loadBalancer:
        simple: LEAST_REQUEST
      outlierDetection:
        consecutive5xxErrors: 5
    match:
      - name: api
        uri: { prefix: /api }
        scheme: { exact: https }
        method: { exact: GET }
        authority: { exact: app.example.com }
        headers:
          x-user: { regex: "^(alice|bob)$" }
        queryParams:
          debug: { exact: "1" }
        withoutHeaders:
          x-internal: { exact: "true" }
        ignoreUriCase: true
        port: 9898
        sourceLabels: { app: frontend }
        sourceNamespace: web
        gateways: [mesh]
    rewrite:
      uri: /
      authority: podinfo.test
      type: ReplacePrefixMatch
    retries:
      attempts: 3
      perTryTimeout: 1s
      retryOn: gateway-error,connect-failure
    headers:
      request:
        add: { x-some-header: value }
        set: { x-other: v2 }
        remove: [x-drop]
      response:
        add: { x-served-by: flagger }
        set: { cache-control: no-store }
        remove: [x-powered-by]
    mirror:
      - backendRef:
          name: podinfo-shadow
          port: 9898
    corsPolicy:
      allowCredentials: false
      allowHeaders: [x-some-header]
      allowMethods: [GET, POST]
      allowOrigin: [example.com]
      allowOrigins:
        - exact: https://example.com
        - prefix: https://app.
      exposeHeaders: [x-request-id]
      maxAge: 24h
    apex:
      labels: { tier: apex }
      annotations: { note: apex }
    primary:
      labels: { tier: primary }
      annotations: { note: primary }
    canary:
      labels: { tier: canary }
      annotations: { note: canary }
    unmanagedMetadata:
      annotations: [kubectl.kubernetes.io/last-applied-configuration]
      labels: [sidecar.istio.io/inject]
  analysis:
    interval: 1m
    threshold: 10
    maxWeight: 50
    stepWeight: 5
    stepWeightPromotion: 25
    mirror: true
    mirrorWeight: 100
    primaryReadyThreshold: 100
    canaryReadyThreshold: 80
    match:
      - headers:
          x-canary: { exact: insider }
          user-agent: { regex: ".*Firefox.*" }
          cookie: { suffix: canary }
        queryParams:
          canary: { exact: "true" }
        sourceLabels: { app: frontend }
      - headers:
          x-beta: { prefix: "1" }
    sessionAffinity:
      cookieName: flagger-cookie
      primaryCookieName: flagger-primary-cookie
      maxAge: 21600
      domain: example.com
      httpOnly: true
      partitioned: false
      path: /
      sameSite: Strict
      secure: true
    metrics:
      - name: request-success-rate
        interval: 1m
        thresholdRange: { min: 99 }
      - name: request-duration
        interval: 30s
        thresholdRange: { max: 500 }
      - name: error-rate
        templateRef: { name: error-rate, namespace: flagger-system }
        templateVariables: { direction: inbound }
        thresholdRange: { min: 0, max: 1.5 }
        interval: 2m
      - name: "404s percentage"
        threshold: 3
        query: sum(rate(response_total{status_code="404"}[1m]))
    webhooks:
      - name: gate
        type: confirm-rollout
        url: http://flagger-loadtester.test/gate/approve
      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.test/
        timeout: 30s
        retries: 2
        disableTLS: true
        muteAlert: false
        metadata:
          type: bash
          cmd: "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token"
      - name: load-test
        type: rollout
        url: http://flagger-loadtester.test/
        metadata: { cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" }
      - name: traffic-gate
        type: confirm-traffic-increase
        url: http://flagger-loadtester.test/gate/check
      - name: promotion-gate
        type: confirm-promotion
        url: http://flagger-loadtester.test/gate/approve
      - name: notify
        type: post-rollout
        url: https://hooks.example.com/done
        muteAlert: true
      - name: rollback-gate
        type: rollback
        url: http://flagger-loadtester.test/rollback/check
      - name: events
        type: event
        url: http://event-recorder.test/
    alerts:
      - name: on-call
        severity: error
        providerRef: { name: on-call, namespace: flagger }
      - name: dev-team
        severity: warn
        providerRef: { name: dev-slack }
  progressDeadlineSeconds: 60
  skipAnalysis: false
  revertOnDeletion: true
  suspend: false
status:
  phase: Progressing
  failedChecks: 1
  canaryWeight: 10
  iterations: 0
  trackedConfigs: { configmap/podinfo-config: 6f8d8b8f5 }
  lastAppliedSpec: 5b8c7f6f9d
  lastPromotedSpec: 5b8c7f6f9c
  lastTrackedRevision: "3"
  lastTransitionTime: "2026-07-01T10:00:00Z"
  sessionAffinityCookie: flagger-cookie=abc
  primarySessionAffinityCookie: flagger-primary-cookie=def
  previousSessionAffinityCookie: flagger-cookie=xyz
  conditions:
    - type: Promoted
      status: Unknown
      reason: Progressing
      message: New revision detected, progressing canary analysis.
      lastUpdateTime: "2026-07-01T10:00:00Z"
      lastTransitionTime: "2026-07-01T10:00:00Z"
`);

/** The smallest Canary Flagger accepts, from docs/gitbook/usage/how-it-works.md. */
const minimalCanary = yamlDoc(`
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 10
    maxWeight: 50
    stepWeight: 5
`);

function canaryOf(doc: Doc): Canary {
  const r = decode(doc);
  expect(r.errors).toEqual([]);
  return r.object as Canary;
}

describe('Canary: accepted', () => {
  it('a complete Flagger Canary with every field', () => {
    const r = decode(completeCanary, 'canary.yaml');
    expect(r.errors).toEqual([]);
    const c = r.object as Canary;
    expect(c.spec.service.gatewayRefs?.[1]).toMatchObject({ group: 'gateway.networking.k8s.io', kind: 'Gateway' });
    expect(c.spec.analysis?.webhooks?.map((w) => w.type)).toEqual([
      'confirm-rollout',
      'pre-rollout',
      'rollout',
      'confirm-traffic-increase',
      'confirm-promotion',
      'post-rollout',
      'rollback',
      'event',
    ]);
    expect(c.spec.autoscalerRef?.primaryScalerReplicas).toEqual({ minReplicas: 2, maxReplicas: 5 });
    expect(c.spec.service.mirror?.[0]?.backendRef).toMatchObject({ group: '', kind: 'Service', port: 9898 });
    expect(c.status?.phase).toBe('Progressing');
    // Only what Weir does not act on is warned about (provider gatewayapi:v1 is Weir's own).
    expect(r.warnings).toEqual([
      'canary.yaml[1] spec.autoscalerRef: ScaledObject "podinfo-so" is accepted for Flagger compatibility but Weir manages HorizontalPodAutoscalers only',
      'canary.yaml[1] spec.ingressRef: is accepted for Flagger compatibility but Weir does not use it',
      'canary.yaml[1] spec.routeRef: is accepted for Flagger compatibility but Weir does not use it',
      'canary.yaml[1] spec.upstreamRef: is accepted for Flagger compatibility but Weir does not use it',
      ...['retries', 'trafficPolicy', 'gateways', 'meshName', 'backends', 'delegation'].map(
        (f) =>
          `canary.yaml[1] spec.service.${f}: is accepted for Flagger compatibility but is not used on the Gateway API (Flagger reads it for Istio or App Mesh only)`,
      ),
      'canary.yaml[1] spec.service.corsPolicy.allowOrigins: is accepted for Flagger compatibility but the Gateway API CORS filter takes plain origins: use corsPolicy.allowOrigin',
    ]);
  });

  it.each([
    ['iterations (blue/green)', { iterations: 10 }],
    ['stepWeight', { stepWeight: 10 }],
    ['stepWeights', { stepWeights: [1, 5, 10, 80] }],
  ])('analysis with %s only', (_name, strategy) => {
    const doc = withField(minimalCanary, 'spec.analysis', { interval: '30s', threshold: 2, ...strategy });
    expect(decode(doc).errors).toEqual([]);
  });

  it.each(['30s', '1m', '10s', '90s', '2m30s', '5m'])('interval %s', (interval) => {
    expect(decode(withField(minimalCanary, 'spec.analysis.interval', interval)).errors).toEqual([]);
  });

  it.each([...['linkerd', 'gatewayapi:v1', 'gatewayapi:v1beta1'], undefined])(
    'provider %s without a warning',
    (provider) => {
      const r = decode(withField(minimalCanary, 'spec.provider', provider));
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
    },
  );

  it.each([
    'apisix',
    'appmesh',
    'appmesh:v1beta2',
    'contour',
    'gloo',
    'istio',
    'kubernetes',
    'kuma',
    'nginx',
    'osm',
    'skipper',
    'smi:v1alpha1',
    'smi:v1alpha2',
    'smi:v1alpha3',
    'traefik',
  ])('provider %s with a warning', (provider) => {
    const r = decode(withField(minimalCanary, 'spec.provider', provider), 'canary.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      `canary.yaml[1] spec.provider: "${provider}" is accepted for Flagger compatibility but Weir routes with its own mesh`,
    ]);
  });
});

describe("Canary: Flagger's tutorial manifests", () => {
  it('Linkerd: MetricTemplates and the podinfo Canary (docs/gitbook/tutorials/linkerd-progressive-delivery.md)', () => {
    const r = parseManifests(
      `---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: success-rate
  namespace: test
spec:
  provider:
    type: prometheus
    address: http://prometheus.linkerd-viz:9090
  query: |
    sum(rate(response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", classification!="failure", direction="{{ variables.direction }}"}[{{ interval }}]))
    /
    sum(rate(response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", direction="{{ variables.direction }}"}[{{ interval }}]))
    * 100
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: latency
  namespace: test
spec:
  provider:
    type: prometheus
    address: http://prometheus.linkerd-viz:9090
  query: |
    histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}", deployment=~"{{ target }}", direction="{{ variables.direction }}"}[{{ interval }}])) by (le))
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  # deployment reference
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  # HPA reference (optional)
  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: podinfo
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: 9898
    gatewayRefs:
      - name: podinfo
        namespace: test
        group: core
        kind: Service
        port: 9898
  analysis:
    interval: 30s
    threshold: 5
    maxWeight: 50
    stepWeight: 5
    metrics:
    - name: success-rate
      templateRef:
        name: success-rate
        namespace: test
      thresholdRange:
        min: 99
      interval: 1m
      templateVariables:
        direction: inbound
    - name: latency
      templateRef:
        name: latency
        namespace: test
      thresholdRange:
        max: 500
      interval: 30s
      templateVariables:
        direction: inbound
    webhooks:
      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.test/
        timeout: 30s
        metadata:
          type: bash
          cmd: "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token"
      - name: load-test
        type: rollout
        url: http://flagger-loadtester.test/
        metadata:
          cmd: "hey -z 2m -q 10 -c 2 http://podinfo-canary.test:9898/"
`,
      'podinfo-canary.yaml',
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.kind)).toEqual(['MetricTemplate', 'MetricTemplate', 'Canary']);
    expect(r.warnings).toEqual([]);
  });

  const gatewayApiCanary = `
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: 9898
    hosts:
     - localproject.contour.io
    gatewayRefs:
      - name: contour
        namespace: projectcontour
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - name: error-rate
      templateRef:
        name: error-rate
        namespace: flagger-system
      thresholdRange:
        max: 1
      interval: 1m
    - name: latency
      templateRef:
        name: latency
        namespace: flagger-system
      thresholdRange:
         max: 0.5
      interval: 30s
    webhooks:
      - name: smoke-test
        type: pre-rollout
        url: http://flagger-loadtester.test/
        timeout: 15s
        metadata:
          type: bash
          cmd: "curl -sd 'anon' http://podinfo-canary.test:9898/token | grep token"
      - name: load-test
        url: http://flagger-loadtester.test/
        timeout: 5s
        metadata:
          cmd: "hey -z 2m -q 10 -c 2 -host localproject.contour.io http://envoy.projectcontour/"
`;

  it('Gateway API: podinfo Canary (docs/gitbook/tutorials/gatewayapi-progressive-delivery.md)', () => {
    const r = parseManifests(gatewayApiCanary, 'podinfo-canary.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const c = r.objects[0] as Canary;
    expect(c.spec.service.gatewayRefs?.[0]).toEqual({
      name: 'contour',
      namespace: 'projectcontour',
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
    });
    expect(c.spec.analysis?.webhooks?.[1]?.type).toBe('rollout');
  });

  it('Gateway API: canary release with session affinity', () => {
    const doc = withField(yamlDoc(gatewayApiCanary), 'spec.analysis.sessionAffinity', {
      cookieName: 'flagger-cookie',
      maxAge: 21600,
    });
    expect(canaryOf(doc).spec.analysis?.sessionAffinity).toEqual({ cookieName: 'flagger-cookie', maxAge: 21600 });
  });

  it('A/B testing with match conditions (linkerd-progressive-delivery.md, nginx ingress)', () => {
    const r = parseManifests(
      `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  provider: nginx
  ingressRef:
    apiVersion: extensions/v1beta1
    kind: Ingress
    name: podinfo
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 10
    iterations: 10
    match:
      - headers:
          x-canary:
            exact: "always"
      - headers:
          cookie:
            exact: "canary"
    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: 1m
    - name: request-duration
      thresholdRange:
        max: 500
      interval: 30s
`,
      'abtest.yaml',
    );
    expect(r.errors).toEqual([]);
    expect((r.objects[0] as Canary).spec.analysis?.match).toEqual([
      { headers: { 'x-canary': { exact: 'always' } } },
      { headers: { cookie: { exact: 'canary' } } },
    ]);
    expect(r.warnings).toEqual([
      'abtest.yaml[1] spec.provider: "nginx" is accepted for Flagger compatibility but Weir routes with its own mesh',
      'abtest.yaml[1] spec.ingressRef: is accepted for Flagger compatibility but Weir does not use it',
    ]);
  });

  it('blue/green with iterations (docs/gitbook/tutorials/kubernetes-blue-green.md)', () => {
    const r = parseManifests(
      `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  provider: kubernetes
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 60
  service:
    port: 9898
    portDiscovery: true
  analysis:
    interval: 30s
    threshold: 2
    iterations: 10
    metrics:
      - name: request-success-rate
        thresholdRange:
          min: 99
        interval: 1m
      - name: request-duration
        thresholdRange:
          max: 500
        interval: 30s
    webhooks:
      - name: smoke-test
        type: pre-rollout
        url: http://flagger-loadtester.test/
        timeout: 15s
        metadata:
          type: bash
          cmd: "curl -sd 'anon' http://podinfo-canary.test:9898/token | grep token"
      - name: load-test
        url: http://flagger-loadtester.test/
        timeout: 5s
        metadata:
          type: cmd
          cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"
`,
      'bluegreen.yaml',
    );
    expect(r.errors).toEqual([]);
    expect((r.objects[0] as Canary).spec.analysis?.iterations).toBe(10);
  });

  it('the deprecated canaryAnalysis alias is read as analysis (docs/gitbook/how-it-works.md)', () => {
    const doc = withField(
      withField(minimalCanary, 'spec.canaryAnalysis', { interval: '1m', threshold: 10, maxWeight: 50, stepWeight: 5 }),
      'spec.analysis',
      undefined,
    );
    const r = decode(doc, 'old.yaml');
    expect(r.errors).toEqual([]);
    const c = r.object as Canary;
    expect(c.spec.analysis).toEqual({ interval: '1m', threshold: 10, maxWeight: 50, stepWeight: 5 });
    expect(r.warnings).toEqual([
      'old.yaml[1] spec.canaryAnalysis: is deprecated: it is read as spec.analysis, rename it',
    ]);
  });

  it('analysis wins over canaryAnalysis when both are given', () => {
    const doc = withField(minimalCanary, 'spec.canaryAnalysis', { interval: '5m', threshold: 1, iterations: 3 });
    expect(canaryOf(doc).spec.analysis?.interval).toBe('1m');
  });
});

describe('Canary: defaults', () => {
  const c = canaryOf(
    withField(
      withField(
        withField(
          withField(minimalCanary, 'spec.analysis.metrics', [{ name: 'request-success-rate' }]),
          'spec.analysis.webhooks',
          [
            { name: 'a', url: 'http://t/' },
            { name: 'b', url: 'http://t/', type: '' },
          ],
        ),
        'spec.analysis.alerts',
        [
          { name: 'a', providerRef: { name: 'slack' } },
          { name: 'b', severity: '', providerRef: { name: 'slack' } },
        ],
      ),
      'spec.analysis.sessionAffinity',
      { cookieName: 'c' },
    ),
  );

  it.each([
    ['metadata.namespace', (x: Canary) => x.metadata.namespace, 'default'],
    ['spec.progressDeadlineSeconds', (x: Canary) => x.spec.progressDeadlineSeconds, 600],
    ['spec.skipAnalysis', (x: Canary) => x.spec.skipAnalysis, false],
    ['spec.suspend', (x: Canary) => x.spec.suspend, false],
    ['spec.service.portName', (x: Canary) => x.spec.service.portName, 'http'],
    ['metrics[].interval', (x: Canary) => x.spec.analysis?.metrics?.[0]?.interval, '1m'],
    ['webhooks[].type absent', (x: Canary) => x.spec.analysis?.webhooks?.[0]?.type, 'rollout'],
    ['webhooks[].type ""', (x: Canary) => x.spec.analysis?.webhooks?.[1]?.type, 'rollout'],
    ['alerts[].severity absent', (x: Canary) => x.spec.analysis?.alerts?.[0]?.severity, 'info'],
    ['alerts[].severity "" (Weir: info)', (x: Canary) => x.spec.analysis?.alerts?.[1]?.severity, 'info'],
    ['sessionAffinity.maxAge', (x: Canary) => x.spec.analysis?.sessionAffinity?.maxAge, 86400],
  ] as const)('%s', (_field, get, want) => {
    expect(get(c)).toBe(want);
  });

  it('status counters default to 0 and "" phase reads as none', () => {
    const s = canaryOf(withField(minimalCanary, 'status', { phase: '' })).status;
    expect(s).toEqual({ phase: undefined, failedChecks: 0, canaryWeight: 0, iterations: 0 });
  });
});

describe('Canary: each rule broken once', () => {
  const base = completeCanary;
  it.each([
    [
      'apiVersion',
      'apiVersion',
      'flagger.app/v1alpha3',
      'apiVersion: expected "flagger.app/v1beta1", got "flagger.app/v1alpha3"',
    ],
    ['metadata.name required', 'metadata.name', undefined, 'metadata.name: required: expected a string'],
    [
      'metadata.name DNS',
      'metadata.name',
      'PodInfo',
      'metadata.name: expected a lowercase DNS subdomain name, got "PodInfo"',
    ],
    [
      'provider enum',
      'spec.provider',
      'envoy',
      'spec.provider: expected one of "apisix", "appmesh", "appmesh:v1beta2", "contour", "gatewayapi:v1", "gatewayapi:v1beta1", "gloo", "istio", "knative", "kubernetes", "kuma", "linkerd", "nginx", "osm", "skipper", "smi:v1alpha1", "smi:v1alpha2", "smi:v1alpha3", "traefik", got "envoy"',
    ],
    ['targetRef required', 'spec.targetRef', undefined, 'spec.targetRef: required: expected an object'],
    [
      'targetRef.apiVersion required',
      'spec.targetRef.apiVersion',
      undefined,
      'spec.targetRef.apiVersion: required: expected a string',
    ],
    [
      'targetRef.kind enum',
      'spec.targetRef.kind',
      'ReplicaSet',
      'spec.targetRef.kind: expected one of "Deployment", "DaemonSet", "StatefulSet", "Service", got "ReplicaSet"',
    ],
    ['targetRef.name required', 'spec.targetRef.name', undefined, 'spec.targetRef.name: required: expected a string'],
    [
      'autoscalerRef.kind enum',
      'spec.autoscalerRef.kind',
      'VerticalPodAutoscaler',
      'spec.autoscalerRef.kind: expected one of "HorizontalPodAutoscaler", "ScaledObject", got "VerticalPodAutoscaler"',
    ],
    [
      'primaryScalerReplicas.minReplicas >= 1',
      'spec.autoscalerRef.primaryScalerReplicas.minReplicas',
      0,
      'spec.autoscalerRef.primaryScalerReplicas.minReplicas: expected a value >= 1, got 0',
    ],
    [
      'primaryScalerQueries values',
      'spec.autoscalerRef.primaryScalerQueries.q',
      5,
      'spec.autoscalerRef.primaryScalerQueries.q: expected a string, got 5',
    ],
    ['ingressRef.kind enum', 'spec.ingressRef.kind', 'Route', 'spec.ingressRef.kind: expected "Ingress", got "Route"'],
    [
      'routeRef.kind enum',
      'spec.routeRef.kind',
      'HTTPRoute',
      'spec.routeRef.kind: expected "ApisixRoute", got "HTTPRoute"',
    ],
    [
      'upstreamRef.kind enum',
      'spec.upstreamRef.kind',
      'Service',
      'spec.upstreamRef.kind: expected "Upstream", got "Service"',
    ],
    ['service required', 'spec.service', undefined, 'spec.service: required: expected an object'],
    ['service.port required', 'spec.service.port', undefined, 'spec.service.port: required: expected a number'],
    ['service.port type', 'spec.service.port', '9898', 'spec.service.port: expected a number, got "9898"'],
    ['service.port range', 'spec.service.port', 70000, 'spec.service.port: expected a value <= 65535, got 70000'],
    [
      'service.targetPort int-or-string',
      'spec.service.targetPort',
      true,
      'spec.service.targetPort: expected a number or a string, got true',
    ],
    [
      'service.targetPort name',
      'spec.service.targetPort',
      'HTTP_PORT',
      'spec.service.targetPort: expected a port name (up to 15 lowercase letters, digits and "-"), got "HTTP_PORT"',
    ],
    [
      'service.trafficDistribution enum',
      'spec.service.trafficDistribution',
      'PreferLocal',
      'spec.service.trafficDistribution: expected one of "PreferClose", "PreferSameZone", "PreferSameNode", got "PreferLocal"',
    ],
    [
      'service.headless type',
      'spec.service.headless',
      'yes',
      'spec.service.headless: expected true or false, got "yes"',
    ],
    [
      'service.timeout duration',
      'spec.service.timeout',
      '30',
      'spec.service.timeout: expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got "30"',
    ],
    [
      'service.backendTimeout duration',
      'spec.service.backendTimeout',
      'soon',
      'spec.service.backendTimeout: expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got "soon"',
    ],
    ['service.gateways items', 'spec.service.gateways[0]', 1, 'spec.service.gateways[0]: expected a string, got 1'],
    [
      'service.gatewayRefs max 32',
      'spec.service.gatewayRefs',
      Array.from({ length: 33 }, (_, i) => ({ name: `g${i}` })),
      'spec.service.gatewayRefs: expected at most 32 items',
    ],
    [
      'gatewayRefs[].name required',
      'spec.service.gatewayRefs[1].name',
      undefined,
      'spec.service.gatewayRefs[1].name: required: expected a string',
    ],
    [
      'gatewayRefs[].port range',
      'spec.service.gatewayRefs[0].port',
      0,
      'spec.service.gatewayRefs[0].port: expected a value >= 1, got 0',
    ],
    [
      'gatewayRefs[].sectionName pattern',
      'spec.service.gatewayRefs[1].sectionName',
      'HTTPS',
      'spec.service.gatewayRefs[1].sectionName: expected a section name (a DNS subdomain), got "HTTPS"',
    ],
    [
      'service.hosts items',
      'spec.service.hosts',
      'app.example.com',
      'spec.service.hosts: expected a list, got "app.example.com"',
    ],
    [
      'service.match uri one of',
      'spec.service.match[0].uri',
      { exact: '/a', prefix: '/b' },
      'spec.service.match[0].uri: expected at most one of exact, prefix, regex, got exact and prefix',
    ],
    [
      'service.match no suffix',
      'spec.service.match[0].headers.x-user',
      { suffix: 'bob' },
      'spec.service.match[0].headers.x-user.suffix: not supported here: expected at most one of exact, prefix, regex',
    ],
    ['service.rewrite.uri type', 'spec.service.rewrite.uri', 1, 'spec.service.rewrite.uri: expected a string, got 1'],
    [
      'service.retries.attempts int',
      'spec.service.retries.attempts',
      1.5,
      'spec.service.retries.attempts: expected a whole number, got 1.5',
    ],
    [
      'service.headers.request.add map',
      'spec.service.headers.request.add',
      ['x'],
      'spec.service.headers.request.add: expected a map, got a list',
    ],
    [
      'service.headers.response.remove list',
      'spec.service.headers.response.remove',
      'x',
      'spec.service.headers.response.remove: expected a list, got "x"',
    ],
    [
      'service.mirror backendRef port for Service',
      'spec.service.mirror[0].backendRef.port',
      undefined,
      'spec.service.mirror[0].backendRef.port: required when kind is Service',
    ],
    [
      'service.corsPolicy.allowOrigins one of',
      'spec.service.corsPolicy.allowOrigins[0]',
      {},
      'spec.service.corsPolicy.allowOrigins[0]: expected exactly one of exact, prefix, regex, got none',
    ],
    [
      'service.trafficPolicy.tls.mode enum',
      'spec.service.trafficPolicy.tls.mode',
      'STRICT',
      'spec.service.trafficPolicy.tls.mode: expected one of "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL", got "STRICT"',
    ],
    [
      'service.apex.labels values',
      'spec.service.apex.labels.tier',
      1,
      'spec.service.apex.labels.tier: expected a string, got 1',
    ],
    [
      'service.unmanagedMetadata.labels list',
      'spec.service.unmanagedMetadata.labels',
      { a: 'b' },
      'spec.service.unmanagedMetadata.labels: expected a list, got an object',
    ],
    [
      'analysis required',
      'spec.analysis',
      undefined,
      'spec.analysis: required: expected an object (or the deprecated canaryAnalysis)',
    ],
    [
      'analysis.interval required',
      'spec.analysis.interval',
      undefined,
      'spec.analysis.interval: required: expected a string',
    ],
    [
      'analysis.interval Go duration',
      'spec.analysis.interval',
      '1 hour',
      'spec.analysis.interval: expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got "1 hour"',
    ],
    [
      'analysis.interval not negative',
      'spec.analysis.interval',
      '-1m',
      'spec.analysis.interval: must not be negative, got "-1m"',
    ],
    [
      'analysis.threshold required',
      'spec.analysis.threshold',
      undefined,
      'spec.analysis.threshold: required: expected a number',
    ],
    [
      'analysis.stepWeight type',
      'spec.analysis.stepWeight',
      'ten',
      'spec.analysis.stepWeight: expected a number, got "ten"',
    ],
    [
      'analysis.stepWeight range',
      'spec.analysis.stepWeight',
      101,
      'spec.analysis.stepWeight: expected a value <= 100, got 101',
    ],
    [
      'analysis.maxWeight range',
      'spec.analysis.maxWeight',
      -1,
      'spec.analysis.maxWeight: expected a value >= 0, got -1',
    ],
    [
      'analysis.stepWeights items',
      'spec.analysis.stepWeights',
      [10, 'x'],
      'spec.analysis.stepWeights[1]: expected a number, got "x"',
    ],
    [
      'analysis.stepWeightPromotion range',
      'spec.analysis.stepWeightPromotion',
      200,
      'spec.analysis.stepWeightPromotion: expected a value <= 100, got 200',
    ],
    [
      'analysis.iterations int',
      'spec.analysis.iterations',
      2.5,
      'spec.analysis.iterations: expected a whole number, got 2.5',
    ],
    [
      'analysis.mirror type',
      'spec.analysis.mirror',
      'true',
      'spec.analysis.mirror: expected true or false, got "true"',
    ],
    [
      'analysis.mirrorWeight range',
      'spec.analysis.mirrorWeight',
      101,
      'spec.analysis.mirrorWeight: expected a value <= 100, got 101',
    ],
    [
      'analysis.primaryReadyThreshold range',
      'spec.analysis.primaryReadyThreshold',
      120,
      'spec.analysis.primaryReadyThreshold: expected a value <= 100, got 120',
    ],
    [
      'analysis.canaryReadyThreshold range',
      'spec.analysis.canaryReadyThreshold',
      -5,
      'spec.analysis.canaryReadyThreshold: expected a value >= 0, got -5',
    ],
    [
      'match headers exactly one',
      'spec.analysis.match[0].headers.x-canary',
      { exact: 'a', regex: 'b' },
      'spec.analysis.match[0].headers.x-canary: expected exactly one of exact, prefix, suffix, regex, got exact and regex',
    ],
    [
      'match headers none',
      'spec.analysis.match[1].headers.x-beta',
      {},
      'spec.analysis.match[1].headers.x-beta: expected exactly one of exact, prefix, suffix, regex, got none',
    ],
    [
      'match queryParams at most one',
      'spec.analysis.match[0].queryParams.canary',
      { exact: 'a', prefix: 'b' },
      'spec.analysis.match[0].queryParams.canary: expected at most one of exact, prefix, regex, got exact and prefix',
    ],
    [
      'match sourceLabels values',
      'spec.analysis.match[0].sourceLabels.app',
      1,
      'spec.analysis.match[0].sourceLabels.app: expected a string, got 1',
    ],
    [
      'sessionAffinity.cookieName required',
      'spec.analysis.sessionAffinity.cookieName',
      undefined,
      'spec.analysis.sessionAffinity.cookieName: required: expected a string',
    ],
    [
      'sessionAffinity cookie names differ',
      'spec.analysis.sessionAffinity.primaryCookieName',
      'flagger-cookie',
      'spec.analysis.sessionAffinity.primaryCookieName: must differ from cookieName ("flagger-cookie")',
    ],
    [
      'sessionAffinity.sameSite enum',
      'spec.analysis.sessionAffinity.sameSite',
      'strict',
      'spec.analysis.sessionAffinity.sameSite: expected one of "Strict", "Lax", "None", got "strict"',
    ],
    [
      'sessionAffinity.maxAge type',
      'spec.analysis.sessionAffinity.maxAge',
      '1d',
      'spec.analysis.sessionAffinity.maxAge: expected a number, got "1d"',
    ],
    [
      'metrics[].name required',
      'spec.analysis.metrics[0].name',
      undefined,
      'spec.analysis.metrics[0].name: required: expected a string',
    ],
    [
      'metrics[].interval pattern',
      'spec.analysis.metrics[0].interval',
      'one minute',
      'spec.analysis.metrics[0].interval: expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got "one minute"',
    ],
    [
      'metrics[].interval not negative',
      'spec.analysis.metrics[0].interval',
      '-30s',
      'spec.analysis.metrics[0].interval: must not be negative, got "-30s"',
    ],
    [
      'metrics[].thresholdRange.min type',
      'spec.analysis.metrics[0].thresholdRange.min',
      '99',
      'spec.analysis.metrics[0].thresholdRange.min: expected a number, got "99"',
    ],
    [
      'metrics[].templateRef.name required',
      'spec.analysis.metrics[2].templateRef.name',
      undefined,
      'spec.analysis.metrics[2].templateRef.name: required: expected a string',
    ],
    [
      'metrics[].templateVariables values',
      'spec.analysis.metrics[2].templateVariables.direction',
      1,
      'spec.analysis.metrics[2].templateVariables.direction: expected a string, got 1',
    ],
    [
      'metrics[].threshold type',
      'spec.analysis.metrics[3].threshold',
      'three',
      'spec.analysis.metrics[3].threshold: expected a number, got "three"',
    ],
    [
      'webhooks[].name required',
      'spec.analysis.webhooks[0].name',
      undefined,
      'spec.analysis.webhooks[0].name: required: expected a string',
    ],
    [
      'webhooks[].type enum',
      'spec.analysis.webhooks[0].type',
      'pre-promotion',
      'spec.analysis.webhooks[0].type: expected one of "", "confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion", "post-rollout", "rollback", "event", got "pre-promotion"',
    ],
    [
      'webhooks[].url required',
      'spec.analysis.webhooks[0].url',
      undefined,
      'spec.analysis.webhooks[0].url: required: expected a string',
    ],
    [
      'webhooks[].url format',
      'spec.analysis.webhooks[1].url',
      'flagger-loadtester',
      'spec.analysis.webhooks[1].url: expected a URL, got "flagger-loadtester"',
    ],
    [
      'webhooks[].timeout Go duration',
      'spec.analysis.webhooks[1].timeout',
      '2 hours',
      'spec.analysis.webhooks[1].timeout: expected a Go duration like 30s, 1m30s, 500ms or 0 (units ns, us, ms, s, m, h), got "2 hours"',
    ],
    [
      'webhooks[].timeout not negative',
      'spec.analysis.webhooks[1].timeout',
      '-5s',
      'spec.analysis.webhooks[1].timeout: must not be negative, got "-5s"',
    ],
    [
      'webhooks[].retries',
      'spec.analysis.webhooks[1].retries',
      -1,
      'spec.analysis.webhooks[1].retries: expected a value >= 0, got -1',
    ],
    [
      'webhooks[].metadata values',
      'spec.analysis.webhooks[1].metadata.type',
      1,
      'spec.analysis.webhooks[1].metadata.type: expected a string, got 1',
    ],
    [
      'alerts[].severity enum',
      'spec.analysis.alerts[0].severity',
      'critical',
      'spec.analysis.alerts[0].severity: expected one of "", "info", "warn", "error", got "critical"',
    ],
    [
      'alerts[].providerRef required',
      'spec.analysis.alerts[0].providerRef',
      undefined,
      'spec.analysis.alerts[0].providerRef: required: expected an object',
    ],
    [
      'alerts[].providerRef.name required',
      'spec.analysis.alerts[1].providerRef.name',
      undefined,
      'spec.analysis.alerts[1].providerRef.name: required: expected a string',
    ],
    [
      'progressDeadlineSeconds type',
      'spec.progressDeadlineSeconds',
      '60s',
      'spec.progressDeadlineSeconds: expected a number, got "60s"',
    ],
    ['skipAnalysis type', 'spec.skipAnalysis', 'no', 'spec.skipAnalysis: expected true or false, got "no"'],
    ['revertOnDeletion type', 'spec.revertOnDeletion', 1, 'spec.revertOnDeletion: expected true or false, got 1'],
    ['suspend type', 'spec.suspend', 'false', 'spec.suspend: expected true or false, got "false"'],
    [
      'status.phase enum',
      'status.phase',
      'Running',
      'status.phase: expected one of "", "Initializing", "Initialized", "Waiting", "Progressing", "WaitingPromotion", "Promoting", "Finalising", "Succeeded", "Failed", "Terminating", "Terminated", got "Running"',
    ],
    [
      'status.conditions[].status enum',
      'status.conditions[0].status',
      'Yes',
      'status.conditions[0].status: expected one of "True", "False", "Unknown", got "Yes"',
    ],
  ])('%s', (_rule, path, value, message) => {
    expect(decode(withField(base, path, value), 'canary.yaml').errors).toEqual([`canary.yaml[1] ${message}`]);
  });

  it.each([
    ['none', {}, 'got none'],
    ['iterations and stepWeight', { iterations: 10, stepWeight: 5 }, 'got iterations and stepWeight'],
    ['stepWeight and stepWeights', { stepWeight: 5, stepWeights: [5, 10] }, 'got stepWeight and stepWeights'],
    ['all three', { iterations: 1, stepWeight: 5, stepWeights: [5] }, 'got iterations and stepWeight and stepWeights'],
  ])('analysis oneOf: %s', (_name, strategy, got) => {
    const doc = withField(minimalCanary, 'spec.analysis', { interval: '1m', threshold: 5, ...strategy });
    expect(decode(doc, 'canary.yaml').errors).toEqual([
      `canary.yaml[1] spec.analysis: expected exactly one of iterations, stepWeight, stepWeights, ${got}`,
    ]);
  });

  it('the oneOf applies to the canaryAnalysis alias too', () => {
    const doc = withField(withField(minimalCanary, 'spec.analysis', undefined), 'spec.canaryAnalysis', {
      interval: '1m',
      threshold: 5,
    });
    expect(decode(doc).errors).toEqual([
      'test.yaml[1] spec.canaryAnalysis: expected exactly one of iterations, stepWeight, stepWeights, got none',
    ]);
  });

  it.each([
    [
      'Knative target without provider knative',
      { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' } },
      'spec.provider: a Knative Service target needs provider "knative"',
    ],
    [
      'provider knative with a Deployment target',
      { provider: 'knative' },
      'spec.targetRef: provider "knative" needs a Knative Service target (apiVersion serving.knative.dev/v1)',
    ],
    [
      'Knative target with an autoscaler',
      {
        provider: 'knative',
        targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' },
        autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' },
      },
      'spec.autoscalerRef: not supported with a Knative Service target',
    ],
  ])("Flagger's controller-side check: %s", (_name, patch, message) => {
    const doc = { ...minimalCanary, spec: { ...(minimalCanary.spec as Doc), ...patch } };
    expect(decode(doc).errors).toEqual([`test.yaml[1] ${message}`]);
  });
});

describe('Canary: warnings for what Weir accepts but does not act on', () => {
  it.each([
    ['a DaemonSet target', { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } }, []],
    ['a plain Service target', { targetRef: { apiVersion: 'v1', kind: 'Service', name: 'podinfo' } }, []],
    [
      'a StatefulSet target (a Weir addition)',
      { targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'podinfo' } },
      ["spec.targetRef.kind: StatefulSet is a Weir addition: Flagger's Canary CRD on a cluster refuses it"],
    ],
    [
      'an HPA with a DaemonSet target',
      {
        targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' },
        autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' },
      },
      [
        'spec.autoscalerRef: is accepted for Flagger compatibility but a DaemonSet target has no replicas to scale: it is not used',
      ],
    ],
    [
      'a Knative target',
      { provider: 'knative', targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' } },
      [
        'spec.provider: "knative" is accepted for Flagger compatibility but Weir routes with its own mesh',
        'spec.targetRef.kind: a Knative Service target is accepted for Flagger compatibility but Weir rolls out Deployments, DaemonSets, StatefulSets and Services',
      ],
    ],
    [
      'an HPA (managed: no warning)',
      { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' } },
      [],
    ],
    [
      'a KEDA ScaledObject',
      { autoscalerRef: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'podinfo-so' } },
      [
        'spec.autoscalerRef: ScaledObject "podinfo-so" is accepted for Flagger compatibility but Weir manages HorizontalPodAutoscalers only',
      ],
    ],
    [
      'istio',
      { provider: 'istio' },
      ['spec.provider: "istio" is accepted for Flagger compatibility but Weir routes with its own mesh'],
    ],
    [
      'a custom metric with neither query nor templateRef',
      {
        analysis: {
          interval: '1m',
          threshold: 1,
          stepWeight: 10,
          metrics: [{ name: 'p95', thresholdRange: { max: 1 } }],
        },
      },
      [
        'spec.analysis.metrics[0]: "p95" is not a builtin metric and has neither query nor templateRef: its check will fail',
      ],
    ],
  ])('%s', (_name, patch, warnings) => {
    const doc = { ...minimalCanary, spec: { ...(minimalCanary.spec as Doc), ...patch } };
    const r = decode(doc, 'canary.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(warnings.map((w) => `canary.yaml[1] ${w}`));
  });

  it('warnings carry the document number through parseManifests', () => {
    const text = `${JSON.stringify(minimalCanary)}\n---\n${JSON.stringify(withField(minimalCanary, 'spec.provider', 'istio'))}`;
    const r = parseManifests(text, 'canary.yaml');
    expect(r.errors.map(formatResourceError)).toEqual([]);
    expect(r.warnings).toEqual([
      'canary.yaml[2] spec.provider: "istio" is accepted for Flagger compatibility but Weir routes with its own mesh',
    ]);
  });
});
