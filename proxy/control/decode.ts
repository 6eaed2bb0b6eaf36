import type { z } from 'zod';
import type { MeshEndpoint } from '../../engine/mesh/snapshot.js';
import {
  formatResourceError,
  grpcRouteSchema,
  httpRouteSchema,
  serviceSchema,
  toResourceErrors,
  type GRPCRoute,
  type HTTPRoute,
  type Service,
} from '../../engine/resources/index.js';
import { fromTcpAddress } from '../../proto/address.js';
import type { Resource__Output } from '../../proto/generated/weir/destination/v1/Resource.js';
import type { WeightedAddr__Output } from '../../proto/generated/weir/destination/v1/WeightedAddr.js';

/** what came over the wire could not be used: each line names the resource and the field */
export class WireError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
    this.name = 'WireError';
  }
}

/** Resources as the control plane sends them, validated once here by the engine's schemas. */
export function decodeAll<S extends z.ZodType>(kind: string, schema: S, resources: Resource__Output[]): z.infer<S>[] {
  const out: z.infer<S>[] = [];
  const errors: string[] = [];
  for (const r of resources) {
    const what = `${kind} ${r.namespace}/${r.name}`;
    if (r.kind !== kind) {
      errors.push(`${what}: expected kind ${kind}, got ${JSON.stringify(r.kind)}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(r.json).toString('utf8'));
    } catch (err) {
      errors.push(`${what}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (parsed.success) out.push(parsed.data);
    else errors.push(...toResourceErrors(parsed.error.issues).map((e) => `${what} ${formatResourceError(e)}`));
  }
  if (errors.length > 0) throw new WireError(errors);
  return out;
}

export const decodeServices = (rs: Resource__Output[]): Service[] => decodeAll('Service', serviceSchema, rs);
export const decodeHttpRoutes = (rs: Resource__Output[]): HTTPRoute[] => decodeAll('HTTPRoute', httpRouteSchema, rs);
export const decodeGrpcRoutes = (rs: Resource__Output[]): GRPCRoute[] => decodeAll('GRPCRoute', grpcRouteSchema, rs);

/** A WeightedAddr as the proxy's endpoint: the Destination API sends ready endpoints only. */
export function decodeEndpoint(a: WeightedAddr__Output): MeshEndpoint {
  const addr = fromTcpAddress(a.addr);
  if (addr === undefined || !(addr.port >= 1 && addr.port <= 65535))
    throw new WireError([`endpoint ${JSON.stringify(a.addr)}: expected an IP address and a port`]);
  const e: MeshEndpoint = { address: addr.ip, port: addr.port, ready: true };
  const labels = a.metricLabels ?? {};
  if (labels.pod !== undefined) e.pod = labels.pod;
  if (labels.namespace !== undefined) e.namespace = labels.namespace;
  if (labels.deployment !== undefined) e.deployment = labels.deployment;
  const identity = a.tlsIdentity?.dnsLikeIdentity?.name;
  if (identity !== undefined && identity !== '') e.identity = identity;
  return e;
}

export function addressKeyOf(e: MeshEndpoint): string {
  return `${e.address}:${e.port}`;
}
