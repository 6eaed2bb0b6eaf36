import {
  commonLabels,
  CONTROL_PLANE_GRPC_PORT,
  INJECTOR_PORT,
  CONTROLLER_METRICS_PORT,
  names,
  controlPlaneAddress,
  type InstallOptions,
} from './options.js';

/**
 * The Deployments (and Services) of the three components, each running one `weir` command of the image:
 * `weir controller`, `weir control-plane --grpc-port 8086`, `weir injector --tls-cert --tls-key --port 8443`.
 * On a cluster the commands use the in-cluster config (their service account), so no kubeconfig is mounted.
 */

type Obj = Record<string, unknown>;

const securityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

function deployment(name: string, opts: InstallOptions, container: Obj, extra: { volumes?: Obj[] } = {}): Obj {
  const labels = commonLabels(name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels, annotations: { 'weir.io/inject': 'disabled' } },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name,
              image: opts.image,
              imagePullPolicy: 'IfNotPresent',
              securityContext,
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '512Mi' } },
              ...container,
            },
          ],
          ...(extra.volumes ? { volumes: extra.volumes } : {}),
        },
      },
    },
  };
}

function service(
  name: string,
  namespace: string,
  port: number,
  portName: string,
  targetPort: number,
  appProtocol?: string,
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: commonLabels(name) },
    spec: {
      selector: { 'app.kubernetes.io/name': name },
      ports: [{ name: portName, port, targetPort, protocol: 'TCP', ...(appProtocol ? { appProtocol } : {}) }],
    },
  };
}

export function controllerDeployment(opts: InstallOptions): Obj[] {
  return [
    deployment(names.controller, opts, {
      args: ['controller', '--metrics-port', String(CONTROLLER_METRICS_PORT)],
      ports: [{ name: 'metrics', containerPort: CONTROLLER_METRICS_PORT }],
      readinessProbe: { httpGet: { path: '/healthz', port: CONTROLLER_METRICS_PORT }, initialDelaySeconds: 2 },
    }),
  ];
}

export function controlPlaneDeployment(opts: InstallOptions): Obj[] {
  const identityDir = '/var/run/weir/identity';
  return [
    deployment(
      names.controlPlane,
      opts,
      {
        args: [
          'control-plane',
          '--grpc-port',
          String(CONTROL_PLANE_GRPC_PORT),
          '--grpc-host',
          '0.0.0.0',
          '--trust-anchor',
          `${identityDir}/ca.crt`,
          '--issuer-cert',
          `${identityDir}/tls.crt`,
          '--issuer-key',
          `${identityDir}/tls.key`,
        ],
        ports: [{ name: 'grpc', containerPort: CONTROL_PLANE_GRPC_PORT }],
        readinessProbe: { tcpSocket: { port: CONTROL_PLANE_GRPC_PORT }, initialDelaySeconds: 2 },
        volumeMounts: [{ name: 'identity', mountPath: identityDir, readOnly: true }],
      },
      { volumes: [{ name: 'identity', secret: { secretName: names.identityIssuer } }] },
    ),
    service(
      names.controlPlane,
      opts.namespace,
      CONTROL_PLANE_GRPC_PORT,
      'grpc',
      CONTROL_PLANE_GRPC_PORT,
      'kubernetes.io/h2c',
    ),
  ];
}

export function injectorDeployment(opts: InstallOptions): Obj[] {
  const tlsDir = '/var/run/weir/tls';
  return [
    deployment(
      names.injector,
      opts,
      {
        args: [
          'injector',
          '--tls-cert',
          `${tlsDir}/tls.crt`,
          '--tls-key',
          `${tlsDir}/tls.key`,
          '--port',
          String(INJECTOR_PORT),
          '--control-plane',
          controlPlaneAddress(opts.namespace),
          '--image',
          opts.image,
          '--trust-anchors',
          '/var/run/weir/identity/ca-bundle.crt',
        ],
        ports: [{ name: 'webhook', containerPort: INJECTOR_PORT }],
        readinessProbe: { httpGet: { path: '/ready', port: INJECTOR_PORT, scheme: 'HTTPS' }, initialDelaySeconds: 2 },
        volumeMounts: [
          { name: 'tls', mountPath: tlsDir, readOnly: true },
          { name: 'trust-anchors', mountPath: '/var/run/weir/identity', readOnly: true },
        ],
      },
      {
        volumes: [
          { name: 'tls', secret: { secretName: names.injectorTls } },
          { name: 'trust-anchors', configMap: { name: names.trustAnchors } },
        ],
      },
    ),
    service(names.injector, opts.namespace, 443, 'webhook', INJECTOR_PORT),
  ];
}
