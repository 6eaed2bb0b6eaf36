/** What `weir install` is told, and the names every manifest shares. */
export interface InstallOptions {
  namespace: string;
  image: string;
  /** Weir's version: the `weir.io/proxy-version` the injector writes and the default image tag */
  version: string;
}

export const CONTROL_PLANE_GRPC_PORT = 8086;
export const INJECTOR_PORT = 8443;
export const CONTROLLER_METRICS_PORT = 8080;

export const names = {
  controller: 'weir-controller',
  controlPlane: 'weir-control-plane',
  injector: 'weir-injector',
  injectorTls: 'weir-injector-tls',
  webhook: 'weir-proxy-injector',
  identityIssuer: 'weir-identity-issuer',
  trustAnchors: 'weir-identity-trust-anchors',
} as const;

export function defaultImage(version: string): string {
  return `ghcr.io/weir-dev/weir:${version}`;
}

export function commonLabels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': 'weir' };
}

/** `host:port` of the control plane's gRPC API, as the sidecars reach it */
export function controlPlaneAddress(namespace: string): string {
  return `${names.controlPlane}.${namespace}.svc:${CONTROL_PLANE_GRPC_PORT}`;
}
