import { describe, expect, it } from 'vitest';
import type { ConfigMap, Deployment, EndpointSlice, Secret, Service } from '../../../engine/resources/index.js';
import { decode, withField, yamlDoc, type Doc } from './helpers.js';

/** Flagger's kustomize/podinfo Deployment, plus the config references Weir tracks. */
const deployment = yamlDoc(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: test
  labels: { app: podinfo }
spec:
  minReadySeconds: 3
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 60
  strategy:
    rollingUpdate: { maxUnavailable: 0, maxSurge: 25% }
    type: RollingUpdate
  selector:
    matchLabels: { app: podinfo }
  template:
    metadata:
      annotations: { prometheus.io/scrape: "true", prometheus.io/port: "9797" }
      labels: { app: podinfo }
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          imagePullPolicy: IfNotPresent
          ports:
            - { name: http, containerPort: 9898, protocol: TCP }
            - { name: http-metrics, containerPort: 9797, protocol: TCP }
            - { name: grpc, containerPort: 9999, protocol: TCP }
          command: [./podinfo, --port=9898, --port-metrics=9797, --grpc-port=9999, --level=info]
          env:
            - { name: PODINFO_UI_COLOR, value: "#34577c" }
            - name: PODINFO_UI_MESSAGE
              valueFrom: { configMapKeyRef: { name: podinfo-config, key: message } }
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: podinfo-secret, key: token, optional: true } }
          envFrom:
            - configMapRef: { name: podinfo-env }
            - secretRef: { name: podinfo-env-secret }
              prefix: SECRET_
          volumeMounts:
            - { name: config, mountPath: /etc/podinfo }
          livenessProbe:
            exec: { command: [podcli, check, http, localhost:9898/healthz] }
            initialDelaySeconds: 5
            timeoutSeconds: 5
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            initialDelaySeconds: 5
            timeoutSeconds: 5
          resources:
            limits: { cpu: 2000m, memory: 512Mi }
            requests: { cpu: 100m, memory: 64Mi }
      volumes:
        - name: config
          configMap: { name: podinfo-config-vol }
        - name: creds
          secret: { secretName: podinfo-secret-vol }
        - name: bundle
          projected:
            sources:
              - configMap: { name: podinfo-projected }
              - secret: { name: podinfo-projected-secret }
`);

const service = yamlDoc(`
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  type: ClusterIP
  selector: { app: podinfo }
  ports:
    - { name: http, port: 9898, targetPort: http }
    - { name: grpc, port: 9999, targetPort: 9999, appProtocol: kubernetes.io/h2c }
`);

const endpointSlice = yamlDoc(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: external-abc
  namespace: test
  labels: { kubernetes.io/service-name: external }
addressType: IPv4
ports:
  - { name: http, port: 8080, protocol: TCP }
endpoints:
  - addresses: [10.0.0.7]
    conditions: { ready: true, serving: true, terminating: false }
    zone: eu-west-1a
  - addresses: [127.0.0.1]
`);

const configMap = yamlDoc(`
apiVersion: v1
kind: ConfigMap
metadata: { name: podinfo-config, namespace: test }
data:
  message: hello
  config.yaml: "a: 1"
binaryData:
  logo.png: iVBORw0KGgo=
`);

const secret = yamlDoc(`
apiVersion: v1
kind: Secret
metadata: { name: podinfo-secret, namespace: test }
data:
  token: c2VjcmV0
stringData:
  password: plain
`);

describe('core kinds: accepted with defaults', () => {
  it('Deployment (podinfo)', () => {
    const r = decode(deployment);
    expect(r.errors).toEqual([]);
    const d = r.object as Deployment;
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0]?.env?.[1]?.valueFrom?.configMapKeyRef?.name).toBe('podinfo-config');
    expect(d.spec.template.spec.containers[0]?.readinessProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('Deployment selected by matchExpressions', () => {
    const doc = withField(deployment, 'spec.selector', {
      matchExpressions: [{ key: 'app', operator: 'In', values: ['podinfo', 'other'] }],
    });
    expect(decode(doc).errors).toEqual([]);
  });

  it('Service', () => {
    const s = decode(service).object as Service;
    expect(s.spec.ports.map((p) => p.protocol)).toEqual(['TCP', 'TCP']);
  });

  it('Service with a single unnamed port', () => {
    expect(decode(withField(service, 'spec.ports', [{ port: 80 }])).errors).toEqual([]);
  });

  it('EndpointSlice', () => {
    const r = decode(endpointSlice);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect((r.object as EndpointSlice).endpoints).toHaveLength(2);
  });

  it('EndpointSlice defaults: no endpoints, no ports', () => {
    const e = decode(withField(withField(endpointSlice, 'endpoints', undefined), 'ports', undefined))
      .object as EndpointSlice;
    expect([e.endpoints, e.ports]).toEqual([[], []]);
  });

  it.each([
    ['IPv6', ['fd00::1', '::1']],
    ['FQDN', ['db.example.com']],
  ])('EndpointSlice with %s addresses', (addressType, addresses) => {
    const doc = withField(withField(endpointSlice, 'addressType', addressType), 'endpoints', [{ addresses }]);
    expect(decode(doc).errors).toEqual([]);
  });

  it('EndpointSlice without the service-name label gets a warning', () => {
    const r = decode(withField(endpointSlice, 'metadata.labels', undefined), 'external.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'external.yaml[1] metadata.labels: no "kubernetes.io/service-name" label: this EndpointSlice belongs to no Service and is not used',
    ]);
  });

  it('ConfigMap', () => {
    const c = decode(configMap).object as ConfigMap;
    expect(c.data).toEqual({ message: 'hello', 'config.yaml': 'a: 1' });
  });

  it('Secret: type defaults to Opaque', () => {
    const s = decode(secret).object as Secret;
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ token: 'c2VjcmV0' });
  });
});

const c0 = 'spec.template.spec.containers[0]';

describe('core kinds: each rule broken once', () => {
  it.each([
    // Deployment
    [deployment, 'apiVersion', 'extensions/v1beta1', 'apiVersion: expected "apps/v1", got "extensions/v1beta1"'],
    [deployment, 'spec.replicas', -1, 'spec.replicas: expected a value >= 0, got -1'],
    [deployment, 'spec.selector', undefined, 'spec.selector: required: expected an object'],
    [
      deployment,
      'spec.selector',
      {},
      'spec.selector: expected matchLabels or matchExpressions: an empty selector is invalid',
    ],
    [
      deployment,
      'spec.template.metadata.labels',
      { app: 'other' },
      'spec.template.metadata.labels: must match spec.selector (app=podinfo)',
    ],
    [
      deployment,
      'spec.selector.matchExpressions',
      [{ key: 'app', operator: 'Equals' }],
      'spec.selector.matchExpressions[0].operator: expected one of "In", "NotIn", "Exists", "DoesNotExist", got "Equals"',
    ],
    [
      deployment,
      'spec.strategy.type',
      'BlueGreen',
      'spec.strategy.type: expected one of "RollingUpdate", "Recreate", got "BlueGreen"',
    ],
    [deployment, 'spec.template.spec.containers', [], 'spec.template.spec.containers: expected at least 1 item'],
    [deployment, `${c0}.name`, undefined, `${c0}.name: required: expected a string`],
    [
      deployment,
      'spec.template.spec.initContainers',
      [{ name: 'podinfod' }],
      'spec.template.spec.initContainers[0].name: duplicate container name "podinfod"',
    ],
    [
      deployment,
      'spec.template.spec.volumes[1].name',
      'config',
      'spec.template.spec.volumes[1].name: duplicate volume name "config"',
    ],
    [deployment, `${c0}.ports[0].containerPort`, 0, `${c0}.ports[0].containerPort: expected a value >= 1, got 0`],
    [
      deployment,
      `${c0}.ports[0].protocol`,
      'HTTP',
      `${c0}.ports[0].protocol: expected one of "TCP", "UDP", "SCTP", got "HTTP"`,
    ],
    [
      deployment,
      `${c0}.command`,
      './podinfo --port=9898',
      `${c0}.command: expected a list, got "./podinfo --port=9898"`,
    ],
    [deployment, `${c0}.env[0].name`, undefined, `${c0}.env[0].name: required: expected a string`],
    [
      deployment,
      `${c0}.env[1].valueFrom.configMapKeyRef.key`,
      undefined,
      `${c0}.env[1].valueFrom.configMapKeyRef.key: required: expected a string`,
    ],
    [deployment, `${c0}.envFrom[0].configMapRef.name`, '', `${c0}.envFrom[0].configMapRef.name: must not be empty`],
    [
      deployment,
      `${c0}.readinessProbe.httpGet.port`,
      'HTTP',
      `${c0}.readinessProbe.httpGet.port: expected a port name (up to 15 lowercase letters, digits and "-"), got "HTTP"`,
    ],
    [
      deployment,
      `${c0}.readinessProbe.periodSeconds`,
      0,
      `${c0}.readinessProbe.periodSeconds: expected a value >= 1, got 0`,
    ],
    [
      deployment,
      'spec.template.spec.volumes[1].secret.secretName',
      undefined,
      'spec.template.spec.volumes[1].secret.secretName: required: expected a string',
    ],
    // Service
    [service, 'spec.ports', [], 'spec.ports: expected at least 1 item'],
    [service, 'spec.ports[1].name', undefined, 'spec.ports[1].name: required when a Service has more than one port'],
    [service, 'spec.ports[1].name', 'http', 'spec.ports[1].name: duplicate port name "http"'],
    [service, 'spec.ports[1].port', 9898, 'spec.ports[1].port: duplicate port 9898/TCP'],
    [service, 'spec.ports[0].port', 0, 'spec.ports[0].port: expected a value >= 1, got 0'],
    [service, 'spec.ports[0].name', 'HTTP', 'spec.ports[0].name: expected a lowercase DNS label, got "HTTP"'],
    [
      service,
      'spec.ports[0].targetPort',
      'http-port-name-too-long',
      'spec.ports[0].targetPort: expected a port name (up to 15 lowercase letters, digits and "-"), got "http-port-name-too-long"',
    ],
    [
      service,
      'spec.ports[0].protocol',
      'tcp',
      'spec.ports[0].protocol: expected one of "TCP", "UDP", "SCTP", got "tcp"',
    ],
    [
      service,
      'spec.type',
      'Internal',
      'spec.type: expected one of "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", got "Internal"',
    ],
    [service, 'spec.selector.app', 1, 'spec.selector.app: expected a string, got 1'],
    // EndpointSlice
    [endpointSlice, 'addressType', 'IP', 'addressType: expected one of "IPv4", "IPv6", "FQDN", got "IP"'],
    [endpointSlice, 'endpoints[0].addresses', [], 'endpoints[0].addresses: expected at least 1 item'],
    [
      endpointSlice,
      'endpoints[0].addresses[0]',
      '10.0.0.300',
      'endpoints[0].addresses[0]: expected an IPv4 address (addressType IPv4), got "10.0.0.300"',
    ],
    [
      endpointSlice,
      'endpoints[1].addresses[0]',
      'localhost',
      'endpoints[1].addresses[0]: expected an IPv4 address (addressType IPv4), got "localhost"',
    ],
    [
      endpointSlice,
      'endpoints[0].conditions.ready',
      'yes',
      'endpoints[0].conditions.ready: expected true or false, got "yes"',
    ],
    [endpointSlice, 'ports[0].port', 70000, 'ports[0].port: expected a value <= 65535, got 70000'],
    // ConfigMap / Secret
    [
      configMap,
      ['data', 'bad key'],
      'x',
      'data.bad key: invalid key: expected a key of letters, digits, "-", "_" or ".", got "bad key"',
    ],
    [configMap, 'data.message', 42, 'data.message: expected a string, got 42'],
    [configMap, 'binaryData', ['x'], 'binaryData: expected a map, got a list'],
    [
      configMap,
      ['binaryData', 'logo.png'],
      'not base64!',
      'binaryData.logo.png: expected base64-encoded data, got "not base64!"',
    ],
    [secret, 'data.token', 'secret', 'data.token: expected base64-encoded data, got "secret"'],
    [secret, 'stringData.password', true, 'stringData.password: expected a string, got true'],
    [secret, 'immutable', 'yes', 'immutable: expected true or false, got "yes"'],
  ] as [Doc, string | string[], unknown, string][])('%#: %s %s', (doc, path, value, message) => {
    expect(decode(withField(doc, path, value), 'core.yaml').errors).toEqual([`core.yaml[1] ${message}`]);
  });
});
