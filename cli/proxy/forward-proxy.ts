import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Service } from '../../engine/resources/index.js';
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
 * not a mesh Service is passed straight through.
 */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  /** the sidecar listener for `host:port`, else the address itself */
  const resolveTarget = (hostname: string, port: number): { host: string; port: number } => {
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
    return { host, port };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('forward proxy: an absolute http:// URL is required\n');
      return;
    }
    const target = resolveTarget(url.hostname, Number(url.port || 80));
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = request(
      { host: target.host, port: target.port, method: req.method, path: `${url.pathname}${url.search}`, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`forward proxy: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  };

  const onConnect = (req: IncomingMessage, client: Socket, head: Buffer): void => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const target = resolveTarget(m[1]!, Number(m[2]));
    const upstream = connect(target.port, target.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
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
