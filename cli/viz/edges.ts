import type { PromSample } from '../../engine/analysis/index.js';

/** One edge: meshed traffic from a workload to another, as Linkerd's `viz edges` lists them. */
export interface Edge {
  src: string;
  src_namespace: string;
  dst: string;
  dst_namespace: string;
  /** the source's mesh identity, when it proved one (mTLS) */
  client_id: string | null;
  /** the identity the destination proved (mTLS) */
  server_id: string | null;
  /** why some of its requests went in plaintext (`no_tls_reason`) */
  no_tls_reason: string | null;
  /** every request of the edge went over mutual TLS */
  secured: boolean;
  /** responses counted since the sidecars started */
  requests: number;
}

/**
 * The edges in the sidecars' outbound `response_total` (cumulative: since each sidecar started), by
 * Deployment (`by` deployment) or pod: the source is the sidecar's own workload, the destination the
 * endpoint's (`dst_deployment`, `dst_pod`); requests to addresses that are not pods of the mesh are not
 * edges. `clientIdOf` names the identity of a source pod's sidecar.
 */
export function edgesOf(
  samples: Iterable<PromSample[]>,
  by: 'deployment' | 'pod',
  clientIdOf: (namespace: string, pod: string) => string | undefined,
): Edge[] {
  const edges = new Map<string, Edge>();
  for (const list of samples) {
    for (const s of list) {
      const l = s.labels;
      if (s.name !== 'response_total' || l.direction !== 'outbound' || !(s.value > 0)) continue;
      const src = by === 'pod' ? l.pod : l.deployment;
      const dst = by === 'pod' ? l.dst_pod : l.dst_deployment;
      const srcNs = l.namespace;
      const dstNs = l.dst_namespace;
      if (src === undefined || dst === undefined || srcNs === undefined || dstNs === undefined) continue;
      const key = `${srcNs}/${src} ${dstNs}/${dst}`;
      let e = edges.get(key);
      const tls = l.tls === 'true';
      if (e === undefined) {
        e = {
          src,
          src_namespace: srcNs,
          dst,
          dst_namespace: dstNs,
          client_id: null,
          server_id: null,
          no_tls_reason: null,
          secured: true,
          requests: 0,
        };
        edges.set(key, e);
      }
      e.requests += s.value;
      if (tls) {
        e.server_id ??= l.server_id ?? null;
        e.client_id ??= (l.pod !== undefined ? clientIdOf(srcNs, l.pod) : undefined) ?? null;
      } else {
        e.secured = false;
        e.no_tls_reason ??= l.no_tls_reason ?? 'no_identity';
      }
    }
  }
  return [...edges.values()].sort(
    (a, b) =>
      a.src_namespace.localeCompare(b.src_namespace) ||
      a.src.localeCompare(b.src) ||
      a.dst_namespace.localeCompare(b.dst_namespace) ||
      a.dst.localeCompare(b.dst),
  );
}
