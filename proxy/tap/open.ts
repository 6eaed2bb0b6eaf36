import type { TapPeer } from './event.js';
import type { TapHub, TapRecord } from './hub.js';
import type { RequestScope } from '../scope.js';
import type { Endpoint } from '../targets.js';

interface SocketLike {
  remoteAddress?: string;
  remotePort?: number;
}

function addressOf(conn: object | undefined): string | undefined {
  const socket = ((conn as { socket?: SocketLike } | undefined)?.socket ?? conn) as SocketLike | undefined;
  const host = socket?.remoteAddress;
  if (host === undefined) return undefined;
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return `${h.includes(':') ? `[${h}]` : h}:${socket?.remotePort ?? 0}`;
}

/**
 * A request arriving at the inbound side, tapped (called only while the hub is active): from the client
 * on `conn` (a socket or an HTTP/2 session; `clientId` what its mTLS proved) to this pod (`self`).
 */
export function openInboundTap(
  hub: TapHub,
  conn: object | undefined,
  clientId: string | undefined,
  tls: boolean,
  request: { method: string; authority: string | undefined; path: string },
  self: TapPeer,
  start: number,
): TapRecord | undefined {
  const address = addressOf(conn);
  return hub.open(
    {
      direction: 'inbound',
      ...request,
      tls,
      src: {
        ...(address !== undefined ? { address } : {}),
        ...(clientId !== undefined ? { identity: clientId } : {}),
      },
      dst: self,
    },
    start,
  );
}

/**
 * A request from the pod's app to a Service on the outbound side, tapped: from this pod (`self`) to the
 * Service `service` (`NS/NAME:PORT`); the endpoint is added once one is picked (`tapEndpoint`).
 */
export function openOutboundTap(
  hub: TapHub,
  request: { method: string; authority: string | undefined; path: string },
  self: TapPeer,
  service: string,
  start: number,
): TapRecord | undefined {
  return hub.open({ direction: 'outbound', ...request, tls: false, src: self, dst: { service } }, start);
}

/** the endpoint a tapped outbound request goes to (each try's; the last one stays) */
export function tapEndpoint(scope: RequestScope, ep: Endpoint): void {
  const e = ep.endpoint;
  (scope.tap as TapRecord).endpoint(
    {
      address: `${e.address}:${e.port}`,
      ...(ep.serverId !== undefined ? { identity: ep.serverId } : {}),
      ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
      ...(e.deployment !== undefined ? { deployment: e.deployment } : {}),
      ...(e.pod !== undefined ? { pod: e.pod } : {}),
    },
    ep.serverId !== undefined,
  );
}
