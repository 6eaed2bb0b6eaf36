import { IDENTITY_AUDIENCE } from '../identity/kube-token-reviewer.js';

/**
 * Sidecar injection as a pure function: a pod (or a workload's pod template) in, the same with the
 * `weir-proxy` sidecar out, as Linkerd's proxy injector does. Used by the admission webhook
 * (`weir injector`) and offline by `weir inject` / `weir uninject`, so both give the same pod.
 *
 * What is added (and what `uninjectPod` removes again):
 * - container `weir-proxy` (last): `weir proxy --control-plane weir-control-plane.NS.svc:PORT --app-port APP
 *   --inbound-port 4143 --admin-port 4191 --outbound-proxy-port 4140 --pod $POD_NAME --namespace $POD_NAMESPACE
 *   --service-account $POD_SERVICE_ACCOUNT`, the pod's name, namespace and service account from the downward
 *   API; with trust anchors: `--identity-token-file` (a projected service account token for the audience
 *   `identity.weir.io`) and `--trust-anchors` (the PEM, passed in `WEIR_TRUST_ANCHORS` and written to an
 *   emptyDir by the container's shell); a readiness probe `GET /ready` on the admin port; runs as uid 2102;
 * - init container `weir-init` when the pod has an app port: `iptables -t nat -A PREROUTING -p tcp --dport APP
 *   -j REDIRECT --to-ports 4143`, so that traffic from outside the pod to the app's port enters the proxy's
 *   inbound side first (as linkerd-init does for every port; Weir's proxy fronts one app port). The proxy's
 *   own connection to 127.0.0.1:APP does not pass PREROUTING, so it is not redirected. Needs NET_ADMIN/NET_RAW.
 * - `HTTP_PROXY=http://127.0.0.1:4140` in each app container that has no HTTP_PROXY: outbound HTTP goes
 *   through the proxy's outbound side (routes, splits, retries, mTLS);
 * - volumes `weir-identity-token` and `weir-proxy-run`; annotation `weir.io/proxy-version`.
 */

export const INJECT_ANNOTATION = 'weir.io/inject';
/** Linkerd's annotation, read as an alias of `weir.io/inject` */
export const LINKERD_INJECT_ANNOTATION = 'linkerd.io/inject';
export const PROXY_VERSION_ANNOTATION = 'weir.io/proxy-version';
/** which container port the proxy fronts (default: the first TCP containerPort) */
export const APP_PORT_ANNOTATION = 'weir.io/app-port';

export const PROXY_CONTAINER = 'weir-proxy';
export const INIT_CONTAINER = 'weir-init';
export const TOKEN_VOLUME = 'weir-identity-token';
export const RUN_VOLUME = 'weir-proxy-run';
export const PROXY_UID = 2102;
export const PROXY_PORTS = { inbound: 4143, admin: 4191, outbound: 4140 } as const;
export const TOKEN_DIR = '/var/run/secrets/weir.io/identity';
export const RUN_DIR = '/var/run/weir';

export interface ProxyInjectConfig {
  /** the image of the sidecar and init container */
  image: string;
  /** written to `weir.io/proxy-version` */
  version: string;
  /** `host:port` of the control plane's gRPC API */
  controlPlane: string;
  /** PEM of the identity trust anchors; without it the sidecar runs without identity (no mTLS) */
  trustAnchorsPem?: string;
}

/** A pod, or a workload's pod template: `metadata` and `spec` as in the manifest. */
export interface PodLike {
  metadata?: { annotations?: Record<string, string>; [k: string]: unknown };
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: unknown[]; [k: string]: unknown };
  [k: string]: unknown;
}

interface Container {
  name: string;
  ports?: { containerPort: number; protocol?: string; name?: string }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [k: string]: unknown;
}

export type InjectDecision = { inject: true; reason: string } | { inject: false; reason: string };

function injectValue(annotations: Record<string, string> | undefined): string | undefined {
  return annotations?.[INJECT_ANNOTATION] ?? annotations?.[LINKERD_INJECT_ANNOTATION];
}

/**
 * Whether a pod is to be injected: its own (or its workload template's) `weir.io/inject` (or `linkerd.io/inject`)
 * decides, `disabled` winning; without one, its namespace's annotation does.
 */
export function injectionDecision(
  podAnnotations: Record<string, string> | undefined,
  namespaceAnnotations: Record<string, string> | undefined,
): InjectDecision {
  const pod = injectValue(podAnnotations);
  if (pod === 'disabled') return { inject: false, reason: `the pod is annotated ${INJECT_ANNOTATION}: disabled` };
  if (pod === 'enabled') return { inject: true, reason: `the pod is annotated ${INJECT_ANNOTATION}: enabled` };
  const ns = injectValue(namespaceAnnotations);
  if (ns === 'enabled') return { inject: true, reason: `the namespace is annotated ${INJECT_ANNOTATION}: enabled` };
  return { inject: false, reason: `neither the pod nor its namespace is annotated ${INJECT_ANNOTATION}: enabled` };
}

export function isInjected(pod: PodLike): boolean {
  return pod.spec.containers.some((c) => c.name === PROXY_CONTAINER);
}

/** The port the proxy fronts: `weir.io/app-port`, else the first TCP containerPort; undefined: none. */
export function appPortOf(pod: PodLike): number | undefined {
  const annotated = pod.metadata?.annotations?.[APP_PORT_ANNOTATION];
  if (annotated !== undefined) {
    const n = Number(annotated);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new Error(`metadata.annotations["${APP_PORT_ANNOTATION}"]: wanted a port 1-65535, got "${annotated}"`);
    return n;
  }
  for (const c of pod.spec.containers) {
    const p = c.ports?.find((port) => (port.protocol ?? 'TCP') === 'TCP');
    if (p) return p.containerPort;
  }
  return undefined;
}

const proxyUrl = `http://127.0.0.1:${PROXY_PORTS.outbound}`;

/** The pod with the sidecar; an injected pod comes back unchanged (a copy). */
export function injectPod<P extends PodLike>(pod: P, config: ProxyInjectConfig): P {
  const out = structuredClone(pod);
  if (isInjected(out)) return out;
  const appPort = appPortOf(out);
  const identity = config.trustAnchorsPem !== undefined;

  for (const c of out.spec.containers) {
    if (c.env?.some((e) => e.name === 'HTTP_PROXY')) continue;
    c.env = [...(c.env ?? []), { name: 'HTTP_PROXY', value: proxyUrl }];
  }
  out.spec.containers.push(proxyContainer(config, appPort));
  if (appPort !== undefined)
    out.spec.initContainers = [...(out.spec.initContainers ?? []), initContainer(config, appPort)];
  out.spec.volumes = [
    ...(out.spec.volumes ?? []),
    { name: RUN_VOLUME, emptyDir: {} },
    ...(identity
      ? [
          {
            name: TOKEN_VOLUME,
            projected: {
              sources: [
                { serviceAccountToken: { path: 'token', audience: IDENTITY_AUDIENCE, expirationSeconds: 86400 } },
              ],
            },
          },
        ]
      : []),
  ];
  out.metadata = {
    ...(out.metadata ?? {}),
    annotations: { ...(out.metadata?.annotations ?? {}), [PROXY_VERSION_ANNOTATION]: config.version },
  };
  return out;
}

function proxyContainer(config: ProxyInjectConfig, appPort: number | undefined): Container {
  const identity = config.trustAnchorsPem !== undefined;
  const args = [
    'weir proxy',
    `--control-plane ${config.controlPlane}`,
    ...(appPort !== undefined ? [`--app-port ${appPort}`] : []),
    `--inbound-port ${PROXY_PORTS.inbound}`,
    `--admin-port ${PROXY_PORTS.admin}`,
    `--outbound-proxy-port ${PROXY_PORTS.outbound}`,
    '--pod "$POD_NAME"',
    '--namespace "$POD_NAMESPACE"',
    '--service-account "$POD_SERVICE_ACCOUNT"',
    ...(identity ? [`--identity-token-file ${TOKEN_DIR}/token`, `--trust-anchors ${RUN_DIR}/trust-anchors.pem`] : []),
  ];
  const script = [
    ...(identity ? [`printf '%s\\n' "$WEIR_TRUST_ANCHORS" > ${RUN_DIR}/trust-anchors.pem`] : []),
    `exec ${args.join(' ')}`,
  ].join(' && ');
  const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: PROXY_CONTAINER,
    image: config.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c', script],
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('POD_SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      ...(identity ? [{ name: 'WEIR_TRUST_ANCHORS', value: config.trustAnchorsPem }] : []),
    ],
    ports: [
      { name: 'weir-proxy', containerPort: PROXY_PORTS.inbound, protocol: 'TCP' },
      { name: 'weir-admin', containerPort: PROXY_PORTS.admin, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: PROXY_PORTS.admin }, initialDelaySeconds: 2 },
    livenessProbe: { httpGet: { path: '/live', port: PROXY_PORTS.admin }, initialDelaySeconds: 10 },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    },
    volumeMounts: [
      { name: RUN_VOLUME, mountPath: RUN_DIR },
      ...(identity ? [{ name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true }] : []),
    ],
  };
}

function initContainer(config: ProxyInjectConfig, appPort: number): Container {
  return {
    name: INIT_CONTAINER,
    image: config.image,
    imagePullPolicy: 'IfNotPresent',
    command: [
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      '--dport',
      String(appPort),
      '-j',
      'REDIRECT',
      '--to-ports',
      String(PROXY_PORTS.inbound),
    ],
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

/** The pod without what `injectPod` added: uninjectPod(injectPod(p)) equals p. */
export function uninjectPod<P extends PodLike>(pod: P): P {
  const out = structuredClone(pod);
  if (!isInjected(out)) return out;
  out.spec.containers = out.spec.containers.filter((c) => c.name !== PROXY_CONTAINER);
  for (const c of out.spec.containers) {
    if (!c.env) continue;
    c.env = c.env.filter((e) => !(e.name === 'HTTP_PROXY' && e.value === proxyUrl));
    if (c.env.length === 0) delete c.env;
  }
  if (out.spec.initContainers) {
    out.spec.initContainers = out.spec.initContainers.filter((c) => c.name !== INIT_CONTAINER);
    if (out.spec.initContainers.length === 0) delete out.spec.initContainers;
  }
  if (out.spec.volumes) {
    out.spec.volumes = out.spec.volumes.filter(
      (v) => ![TOKEN_VOLUME, RUN_VOLUME].includes((v as { name: string }).name),
    );
    if (out.spec.volumes.length === 0) delete out.spec.volumes;
  }
  const annotations = out.metadata?.annotations;
  if (annotations) {
    delete annotations[PROXY_VERSION_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete out.metadata!.annotations;
  }
  if (out.metadata && Object.keys(out.metadata).length === 0) delete out.metadata;
  return out;
}
