import type { MeshSnapshot } from '../../engine/mesh/snapshot.js';
import { compileInboundPolicy, DEFAULT_POLICY_DEFAULTS, type WorkloadPort } from '../../engine/policy/index.js';
import { encodePolicy, encodeProtocol } from './encode.js';
import type { PolicyInputs } from './inputs.js';
import { workloadPortOf } from './workload.js';
import type { ProxyProtocol } from '../../proto/generated/weir/inbound/v1/ProxyProtocol.js';
import type { Server } from '../../proto/generated/weir/inbound/v1/Server.js';

/** Linkerd's protocol detection timeout */
export const DETECT_TIMEOUT_MS = 10_000;

export interface Workload {
  namespace: string;
  pod: string;
}

/** `{"ns":"test","pod":"web-1"}` (Linkerd's form) or `test:web-1` */
export function parseWorkload(text: string): Workload | undefined {
  const label = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  let ns: unknown;
  let pod: unknown;
  if (text.startsWith('{')) {
    try {
      ({ ns, pod } = JSON.parse(text) as { ns?: unknown; pod?: unknown });
    } catch {
      return undefined;
    }
  } else [ns, pod] = text.split(':');
  if (typeof ns !== 'string' || typeof pod !== 'string' || !label.test(ns) || !label.test(pod)) return undefined;
  return { namespace: ns, pod };
}

/** a Service port's `appProtocol` as the protocol the inbound side expects; unknown or absent: detect */
export function protocolOf(appProtocol: string | undefined): ProxyProtocol {
  switch (appProtocol?.toLowerCase()) {
    case 'http':
    case 'kubernetes.io/http':
      return { http1: {} };
    case 'kubernetes.io/h2c':
    case 'http2':
      return { http2: {} };
    case 'grpc':
      return { grpc: {} };
    case 'tcp':
    case 'linkerd.io/opaque':
      return { opaque: {} };
    case 'tls':
    case 'https':
      return { tls: {} };
    default:
      return { detect: { timeoutMs: DETECT_TIMEOUT_MS } };
  }
}

/**
 * The app protocols of the Service ports that announce this workload's port as an endpoint, one entry
 * per Service port (undefined: the port has no appProtocol).
 */
export function appProtocolsOf(snapshot: MeshSnapshot, w: Workload, port: number): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  for (const entry of snapshot.endpoints) {
    const served = entry.endpoints.some((e) => e.pod === w.pod && e.namespace === w.namespace && e.port === port);
    if (!served) continue;
    const svc = snapshot.services.find(
      (s) => s.metadata.name === entry.service && s.metadata.namespace === entry.namespace,
    );
    out.push(svc?.spec.ports.find((p) => p.port === entry.port)?.appProtocol);
  }
  return out;
}

/**
 * What one port of a workload serves and whom it lets in: the policy compiled from the Servers,
 * AuthorizationPolicies... of `inputs` (engine/policy) for the pod's port. The protocol is the Server's;
 * for a port no Server selects it is what its Services declare (`appProtocol`; when they disagree, or
 * none says, the proxy detects it), with the default policy (pod annotation, namespace annotation, mesh
 * default). Without inputs, or for a pod the store does not know, the mesh default applies (Linkerd's
 * `all-unauthenticated` unless told otherwise).
 */
export function serverPolicy(snapshot: MeshSnapshot, w: Workload, port: number, inputs?: PolicyInputs): Server {
  const pod = inputs?.pod(w.namespace, w.pod);
  const workload: WorkloadPort =
    pod !== undefined
      ? workloadPortOf(pod, port)
      : { namespace: w.namespace, labels: {}, serviceAccount: 'default', port };
  const objects = pod !== undefined && inputs !== undefined ? inputs.objects : NO_OBJECTS;
  const policy = compileInboundPolicy(workload, objects, inputs?.defaults ?? DEFAULT_POLICY_DEFAULTS);
  if (policy.server.kind !== 'default') return encodePolicy(policy, encodeProtocol(policy.protocol, DETECT_TIMEOUT_MS));
  const protocols = [...new Set(appProtocolsOf(snapshot, w, port).map((p) => p?.toLowerCase()))];
  return encodePolicy(policy, protocols.length === 1 ? protocolOf(protocols[0]) : protocolOf(undefined));
}

const NO_OBJECTS = {
  servers: [],
  authorizationPolicies: [],
  meshTLSAuthentications: [],
  networkAuthentications: [],
  rateLimits: [],
  httpRoutes: [],
  namespaces: [],
};
