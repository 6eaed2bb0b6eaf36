import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { backendInvalid, badRequest, noEndpoint, noRoute } from '../errors.js';
import { routeOf, type Backend, type Endpoint, type ListenerState } from '../targets.js';
import type { UpstreamAlpn, UpstreamTls } from '../tls/connect.js';
import { forwardOpaque, type OpaqueTarget } from './opaque.js';
import { forwardUpgrade, refuseUpgrade } from './upgrade.js';

/**
 * The outbound paths that are not requests the stack serves (serve.ts): HTTP/1.1 upgrades, spliced to
 * one endpoint once routed, and opaque TCP, to the Service's own endpoints.
 */

/** An HTTP/1.1 Upgrade request (WebSocket) on an outbound listener: routed, then spliced. */
export function outboundUpgrade(
  st: ListenerState,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  track: (s: Socket | Duplex) => void,
  tls: UpstreamTls | undefined,
): void {
  const start = performance.now();
  track(socket);
  const url = req.url ?? '';
  if (url.charCodeAt(0) !== 47) {
    refuseUpgrade(socket, badRequest(`unsupported request target ${url}`), st.series, start);
    return;
  }
  const rule = routeOf(st, req, false);
  if (rule === undefined) {
    const ref = st.table.parent;
    const path = url.split('?', 1)[0] as string;
    const reason = `no route matches ${req.method ?? ''} ${path} on ${ref.namespace}/${ref.service}:${ref.port}`;
    refuseUpgrade(socket, noRoute(reason), st.series, start);
    return;
  }
  const backend = rule.pick();
  if (backend.failStatus !== 0 || backend.target === undefined) {
    const series = backend.target !== undefined ? (st.targets[backend.target.index] as Backend).series : st.series;
    refuseUpgrade(socket, backendInvalid(backend.reason, backend.failStatus), series, start);
    return;
  }
  const t = st.targets[backend.target.index] as Backend;
  const ep = t.balancer.pick();
  if (ep === undefined) {
    refuseUpgrade(socket, noEndpoint(t.target.key), t.series, start);
    return;
  }
  ep.series.request();
  forwardUpgrade(req, socket, head, opaqueTarget(ep, tls, 'http/1.1'), ep.series, start, track);
}

/** A connection that is not HTTP, on an outbound listener: to an endpoint of the Service itself. */
export function outboundOpaque(
  st: ListenerState,
  socket: Socket,
  prefix: Buffer,
  track: (s: Socket) => void,
  tls: UpstreamTls | undefined,
): void {
  const t = st.targets[st.routes.self.index];
  const ep = t?.balancer.pick();
  forwardOpaque(socket, prefix, ep === undefined ? undefined : opaqueTarget(ep, tls, undefined), track);
}

/** a connection to `ep`, over mTLS when the endpoint's connections are (`ep.serverId`) */
function opaqueTarget(ep: Endpoint, tls: UpstreamTls | undefined, alpn: UpstreamAlpn): OpaqueTarget {
  const { address, port } = ep.endpoint;
  const serverId = ep.serverId;
  const target: OpaqueTarget = { address, port, done: (ms, failed) => ep.done(ms, failed) };
  if (tls !== undefined && serverId !== undefined)
    target.secure = (halfOpen) => tls.connect(address, port, serverId, alpn, halfOpen);
  return target;
}
