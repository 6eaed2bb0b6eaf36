import type { TapEvent, TapPeer } from '../../proxy/tap/event.js';

function res(p: TapPeer): string | undefined {
  if (p.deployment !== undefined) return `deploy/${p.deployment}`;
  if (p.pod !== undefined) return `pod/${p.pod}`;
  return undefined;
}

/** `-o wide`: the resources, namespaces and identities at both ends, as far as the proxy knows them */
function wideFields(e: Exclude<TapEvent, { type: 'dropped' }>): string {
  const out: string[] = [];
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined) out.push(`${k}=${v}`);
  };
  add('src_res', res(e.src));
  add('src_ns', e.src.namespace);
  add('src_id', e.src.identity);
  add('dst_res', res(e.dst));
  add('dst_ns', e.dst.namespace);
  add('dst_svc', e.dst.service);
  add('dst_id', e.dst.identity);
  add('pod', e.pod);
  return out.length === 0 ? '' : ` ${out.join(' ')}`;
}

/**
 * One event as Linkerd's `viz tap` prints it:
 * `req id=1:0 proxy=in  src=... dst=... tls=true :method=GET :authority=web:80 :path=/` and
 * `rsp id=1:0 proxy=in  src=... dst=... tls=true :status=200 latency=1234µs`; `stream` is the tap
 * connection the event came on (one per pod).
 */
export function tapLine(e: TapEvent, stream: number, wide: boolean): string {
  if (e.type === 'dropped') return `dropped ${e.count} events: the tap was read too slowly`;
  const proxy = e.direction === 'inbound' ? 'in ' : 'out';
  const head = `id=${stream}:${e.id} proxy=${proxy} src=${e.src.address ?? '-'} dst=${e.dst.address ?? e.dst.service ?? '-'} tls=${e.tls}`;
  const tail = wide ? wideFields(e) : '';
  if (e.type === 'request')
    return `req ${head} :method=${e.method} :authority=${e.authority ?? ''} :path=${e.path}${tail}`;
  const grpc = e.grpcStatus !== undefined ? ` grpc-status=${e.grpcStatus}` : '';
  const error = e.error !== undefined ? ` error=${JSON.stringify(e.error)}` : '';
  return `rsp ${head} :status=${e.status}${grpc} latency=${Math.round(e.latencyMs * 1000)}µs${error}${tail}`;
}
