import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Service } from '../../engine/resources/index.js';
import { EgressForwarder, pipeConnect, pipeRequest } from '../../proxy/egress/forward.js';
import type { EgressMetrics } from '../../proxy/egress/metrics.js';
import type { EgressPolicySource } from '../../proxy/egress/source.js';
import type { ListenerInfo } from '../../proxy/index.js';

export interface ForwardProxyOptions {
  host: string;
  port: number;
  /** the outbound side's listeners now (one per Service port, on free ports) */
  listeners: () => readonly ListenerInfo[];
  /** the Services now, to know each one's address (its cluster IP, else `serviceHost`) */
  services: () => readonly Service[];
  /** the pod's namespace: `web:80` means `web.NAMESPACE` */
  namespace: string;
  /** where `weir up` listens for Services without a cluster IP (127.0.0.1) */
  serviceHost: string;
  /**
   * egress control (proxy/egress/): what is not a mesh Service is matched against the EgressNetworks of the
   * pod's namespace; without it, or without any EgressNetwork, it passes straight through
   */
  egress?: {
    source: EgressPolicySource;
    metrics: EgressMetrics;
    onAudit: (line: string) => void;
    /** an endpoint address of the mesh (never egress) */
    isMeshAddress?: (ip: string, port: number) => boolean;
    resolve?: (host: string) => Promise<string>;
  };
}

export interface ForwardProxy {
  readonly port: number;
  close(): Promise<void>;
}

const NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.svc(?:\.cluster\.local)?)?)?$/;

/**
 * The app's way into its sidecar (`HTTP_PROXY`, `WEIR_OUTBOUND`): an HTTP forward proxy that sends a request for
 * a Service (`http://web.shop:80/...`, `http://web:80/...` in the pod's namespace, or the Service's address as
 * `weir up` prints it) to the outbound listener of that Service port, where it is routed, balanced, measured and
 * sent over mTLS. `CONNECT host:port` tunnels the same way (opaque TCP, TLS of the app's own). Anything that is
 * not a mesh Service is egress: passed straight through, or, with `egress`, allowed, denied or routed by the
 * EgressNetworks that apply (proxy/egress/forward.ts).
 */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  /** the sidecar listener for `host:port` when it names a mesh Service port */
  const serviceListener = (hostname: string, port: number): { host: string; port: number } | undefined => {
    const host = hostname
      .toLowerCase()
      .replace(/\.$/, '')
      .replace(/^\[|\]$/g, '');
    const listeners = options.listeners();
    const m = NAME.exec(host);
    if (m !== null) {
      const ns = m[3] ?? options.namespace;
      const l = listeners.find((x) => x.service === m[1] && x.namespace === ns && x.port === port);
      if (l !== undefined) return { host: l.host, port: l.listenPort };
    }
    for (const svc of options.services()) {
      const ip = svc.spec.clusterIP;
      const address = ip !== undefined && ip !== '' && ip !== 'None' ? ip : options.serviceHost;
      if (address !== host) continue;
      const l = listeners.find(
        (x) => x.service === svc.metadata.name && x.namespace === svc.metadata.namespace && x.port === port,
      );
      if (l !== undefined) return { host: l.host, port: l.listenPort };
    }
    return undefined;
  };
  const listenerOf = (namespace: string, service: string, port: number) => {
    const l = options.listeners().find((x) => x.service === service && x.namespace === namespace && x.port === port);
    return l === undefined ? undefined : { host: l.host, port: l.listenPort };
  };
  const egress =
    options.egress === undefined ? undefined : new EgressForwarder({ ...options.egress, serviceTarget: listenerOf });
  const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('forward proxy: an absolute http:// URL is required\n');
      return;
    }
    const port = Number(url.port || 80);
    const path = `${url.pathname}${url.search}`;
    const target = serviceListener(url.hostname, port);
    if (target !== undefined) return pipeRequest(req, res, target, path);
    if (egress === undefined) return pipeRequest(req, res, { host: bare(url.hostname), port }, path);
    egress.request(req, res, url).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`forward proxy: ${String(err)}\n`);
      else res.destroy();
    });
  };

  const onConnect = (req: IncomingMessage, client: Socket, head: Buffer): void => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = Number(m[2]);
    const target = serviceListener(m[1]!, port);
    if (target !== undefined) return pipeConnect(client, head, target);
    if (egress === undefined) return pipeConnect(client, head, { host: bare(m[1]!), port });
    egress.connect(client, head, m[1]!, port).catch(() => client.destroy());
  };

  const server: Server = createServer(onRequest);
  server.on('connect', onConnect);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
