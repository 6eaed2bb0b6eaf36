import type { FieldWarning } from './meta.js';

/** the parts of a Canary `grpcRouteWarnings` reads (kept structural so that canary.ts can call it) */
interface GrpcCanaryView {
  spec: {
    service: {
      appProtocol?: string;
      ports?: Array<{ appProtocol?: string }>;
      timeout?: string;
      backendTimeout?: string;
      rewrite?: unknown;
      corsPolicy?: unknown;
      match?: Array<{ uri?: unknown; queryParams?: unknown; method?: unknown }>;
    };
    analysis?: {
      sessionAffinity?: unknown;
      match?: Array<{ uri?: unknown; queryParams?: unknown; method?: unknown }>;
    };
  };
}

const GRPC_URI = /^\/[A-Za-z_][\w.]*\/([A-Za-z_]\w*)?$/;

/** what a match asks that a GRPCRoute match cannot say (only headers and a gRPC service/method URI can) */
function matchWarnings(
  m: { uri?: unknown; queryParams?: unknown; method?: unknown },
  path: string,
  out: FieldWarning[],
): void {
  const uri = m.uri as { exact?: string; prefix?: string; regex?: string } | undefined;
  if (uri !== undefined && !GRPC_URI.test(uri.exact ?? uri.prefix ?? ''))
    out.push({
      path: `${path}.uri`,
      message:
        'has no GRPCRoute form (only exact /pkg.Service/Method or prefix /pkg.Service/): not matched on gRPC ports',
    });
  if (m.queryParams !== undefined)
    out.push({ path: `${path}.queryParams`, message: 'has no GRPCRoute form: not matched on gRPC ports' });
  if (m.method !== undefined)
    out.push({
      path: `${path}.method`,
      message: 'has no GRPCRoute form (gRPC calls are all POST): not matched on gRPC ports',
    });
}

/**
 * A port whose `appProtocol` is `grpc` is split with a GRPCRoute, which has no timeouts, rewrites, CORS or
 * cookies: the fields that ask for them are named, as Weir does not act on them there.
 */
export function grpcRouteWarnings(canary: GrpcCanaryView): FieldWarning[] {
  const svc = canary.spec.service;
  const grpc = svc.ports ? svc.ports.some((p) => p.appProtocol === 'grpc') : svc.appProtocol === 'grpc';
  if (!grpc) return [];
  const out: FieldWarning[] = [];
  const noForm = 'has no GRPCRoute form: it is not applied to gRPC ports';
  for (const field of ['timeout', 'backendTimeout', 'rewrite', 'corsPolicy'] as const) {
    if (svc[field] !== undefined) out.push({ path: `spec.service.${field}`, message: noForm });
  }
  if (canary.spec.analysis?.sessionAffinity !== undefined)
    out.push({ path: 'spec.analysis.sessionAffinity', message: `${noForm} (gRPC clients keep no cookies)` });
  svc.match?.forEach((m, i) => matchWarnings(m, `spec.service.match[${i}]`, out));
  canary.spec.analysis?.match?.forEach((m, i) => matchWarnings(m, `spec.analysis.match[${i}]`, out));
  return out;
}
