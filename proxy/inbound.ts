import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { startAdminServer, type AdminServer } from './admin.js';
import { drainServer, Inflight, listen } from './drain.js';
import { IDENTITY_REQUIRED } from './errors.js';
import { GoldenMetrics, type Series } from './metrics.js';
import { H2Client } from './h2/client.js';
import { forwardStream } from './h2/forward.js';
import { isGrpc } from './h2/grpc.js';
import { AppForwardHandler } from './http1/app-forward.js';
import { forwardRequestHeaders, type RequestHeadInfo } from './http1/headers.js';
import { EndpointPools } from './http1/pools.js';
import { InboundSeries, type PeerSeries } from './inbound-series.js';
import { OpenConnections } from './tcp-connections.js';
import { FrontServer } from './protocol/listener.js';
import type { FrontLimits } from './protocol/limits.js';
import type { RequestScope } from './scope.js';
import { readHeaderObject, readRawHeader, writeHeaderObject, writeRawHeader } from './tracing/carriers.js';
import { loadTracer } from './tracing/load.js';
import type { TracingConfig } from './tracing/types.js';
import { forwardOpaque } from './protocol/opaque.js';
import { forwardUpgrade, refuseUpgrade } from './protocol/upgrade.js';
import { respondH2Error } from './h2/respond.js';
import { sendProxyError } from './http1/respond.js';
import { DETECT_TIMEOUT_MS } from './protocol/detect.js';
import { loadMeshTls, type MeshTls } from './tls/load.js';
import type { IdentitySource } from './tls/material.js';
import { peerOf, setPeer } from './tls/peer.js';
import type { Client } from './authz/authorize.js';
import { setClientId, withClientId } from './authz/client-id.js';
import { InboundAuthz } from './authz/layer.js';
import { AuthzMetrics } from './authz/metrics.js';
import type { PolicySource } from './authz/source.js';
import type { TapPeer } from './tap/event.js';
import { TapHub, type TapRecord } from './tap/hub.js';
import { openInboundTap } from './tap/open.js';

export interface InboundProxyOptions {
  /** the local application (default 127.0.0.1) */
  appHost?: string;
  appPort: number;
  /** the workload's own labels on every metric */
  namespace?: string;
  deployment?: string;
  pod?: string;
  /** where the proxy listens (default 127.0.0.1, port 0 = a free port) */
  listenHost?: string;
  listenPort?: number;
  /** admin server (default 127.0.0.1, port 0 = a free port) */
  adminHost?: string;
  adminPort?: number;
  /** how long to wait for the app's response headers before answering 504 (default: undici's 300 s) */
  responseTimeoutMs?: number;
  /** how long close() and /shutdown wait for in-flight requests (default 10 s) */
  drainMs?: number;
  /** called after /shutdown has closed the proxy */
  onShutdown?: () => void;
  /** distributed tracing: spans of sampled requests exported over OTLP/HTTP (tracing/); default off */
  tracing?: TracingConfig;
  /** protocol detection: how long to wait for a client's first bytes before forwarding it as opaque TCP (default 10 s) */
  detectTimeoutMs?: number;
  /** what a client may send: header sizes, header/request/idle timeouts, HTTP/2 streams (protocol/limits.ts) */
  limits?: Partial<FrontLimits>;
  /**
   * the proxy's own certificate (the sidecar's certificate manager): with it, TLS whose SNI is this
   * identity is terminated (mesh mTLS) and the client's identity recorded; without it, TLS passes
   * through to the app as opaque TCP, as any other TLS does
   */
  identity?: IdentitySource;
  /**
   * refuse clients that prove no mesh identity: plaintext, TLS without a client certificate, TLS for
   * another name (HTTP: 403 with `weir-proxy-error`; opaque TCP: closed). Default false: allowed.
   */
  requireIdentity?: boolean;
  /**
   * the port's inbound policy (authz/): asked for every request and every opaque connection with the
   * client's address and identity; unauthorized requests get 403 (gRPC PERMISSION_DENIED), opaque
   * connections are closed. Default: none, everyone is let in (Linkerd's `all-unauthenticated`).
   */
  policy?: PolicySource;
  /** where `audit` decisions are logged (default console.error) */
  onAudit?: (line: string) => void;
  /** the process's tap (shared with its outbound side); default: one of its own, served on the admin port */
  tap?: TapHub;
}

export interface InboundProxy {
  readonly port: number;
  readonly adminPort: number;
  readonly metrics: GoldenMetrics;
  readonly tap: TapHub;
  /** stop accepting, drain in-flight requests (up to `drainMs`), close every connection and the admin server */
  close(options?: { drainMs?: number }): Promise<void>;
}

/**
 * The inbound side of a sidecar: accepts meshed (and plain) HTTP/1.1 and forwards it to the local app
 * over keep-alive connections, recording `direction="inbound"` golden metrics, the ones Flagger reads.
 */
export async function startInboundProxy(options: InboundProxyOptions): Promise<InboundProxy> {
  const metrics = new GoldenMetrics();
  const pools = new EndpointPools(
    options.responseTimeoutMs !== undefined ? { responseHeadersTimeoutMs: options.responseTimeoutMs } : {},
  );
  const app = pools.get(options.appHost ?? '127.0.0.1', options.appPort);
  const inflight = new Inflight();
  const { namespace, pod, deployment } = options;
  const tracer = await loadTracer(options.tracing, { namespace, pod, deployment });
  const onError = (err: Error) => console.error(`weir inbound proxy: ${err.message}`);
  const tls: MeshTls | undefined =
    options.identity !== undefined ? await loadMeshTls(options.identity, onError) : undefined;
  const requireIdentity = options.requireIdentity === true;
  const tap = options.tap ?? new TapHub({ namespace, deployment, pod });
  /** this pod, as the destination of a tapped request */
  const self = (): TapPeer => ({
    address: `${options.listenHost ?? '127.0.0.1'}:${port}`,
    ...(tls?.contexts.identity !== undefined ? { identity: tls.contexts.identity } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(deployment !== undefined ? { deployment } : {}),
    ...(pod !== undefined ? { pod } : {}),
  });
  const openTap = (
    conn: object | undefined,
    method: string,
    authority: string | undefined,
    path: string,
    start: number,
  ): TapRecord | undefined => {
    const peer = peerOf<PeerSeries>(conn);
    return openInboundTap(tap, conn, peer?.clientId, peer !== undefined, { method, authority, path }, self(), start);
  };
  const peers = new InboundSeries(
    metrics,
    [
      ['direction', 'inbound'],
      ['namespace', options.namespace],
      ['deployment', options.deployment],
      ['pod', options.pod],
    ],
    tls !== undefined,
  );
  /** the series of a request on a connection (its peer, set when mTLS was terminated) */
  const seriesFor = (conn: object | undefined, authority: string | undefined): Series =>
    (peerOf<PeerSeries>(conn)?.state ?? peers.plain).get(authority);
  const authzMetrics = new AuthzMetrics([
    ['namespace', options.namespace],
    ['deployment', options.deployment],
    ['pod', options.pod],
  ]);
  const authz =
    options.policy !== undefined ? new InboundAuthz(options.policy, authzMetrics, options.onAudit) : undefined;
  /** who is calling on a connection (a socket, or an HTTP/2 session) */
  const clientOf = (conn: object | undefined): Client => {
    const socket = (conn as { socket?: { remoteAddress?: string } } | undefined)?.socket ?? conn;
    return {
      address: (socket as { remoteAddress?: string } | undefined)?.remoteAddress,
      identity: peerOf<PeerSeries>(conn)?.clientId,
    };
  };
  /** with `requireIdentity`: whether the connection proved no mesh identity */
  const refused = (conn: object | undefined): boolean =>
    requireIdentity && peerOf<PeerSeries>(conn)?.clientId === undefined;

  const appHost = options.appHost ?? '127.0.0.1';
  // h2 clients stay h2 to the app (apps serving gRPC speak h2c); HTTP/1.1 stays HTTP/1.1
  const appH2 = new H2Client(`http://${appHost.includes(':') ? `[${appHost}]` : appHost}:${options.appPort}`);
  const appTarget = { address: appHost, port: options.appPort };
  const inboundTls = tls?.inbound(options.detectTimeoutMs ?? DETECT_TIMEOUT_MS, (decrypted, alpn, clientId) => {
    setPeer(decrypted, { clientId, state: peers.forClient(clientId) });
    server.serveDecrypted(decrypted, alpn);
  });
  const server = new FrontServer({
    request: (req: IncomingMessage, res: ServerResponse) => {
      const start = performance.now();
      inflight.enter();
      const info: RequestHeadInfo = { hasBody: false, host: undefined };
      const headers = forwardRequestHeaders(req.rawHeaders, info);
      const series = seriesFor(req.socket, info.host);
      series.request();
      const tapped = tap.active
        ? openTap(req.socket, req.method as string, info.host, req.url as string, start)
        : undefined;
      if (refused(req.socket)) {
        sendProxyError(res, IDENTITY_REQUIRED, inflight.draining);
        series.response(IDENTITY_REQUIRED.status, performance.now() - start, true);
        tapped?.end(IDENTITY_REQUIRED.status, -1, IDENTITY_REQUIRED.reason);
        inflight.leave();
        return;
      }
      let forwarded = headers;
      if (authz !== undefined) {
        const client = clientOf(req.socket);
        const denied = authz.request(client, req);
        if (denied !== undefined) {
          sendProxyError(res, denied, inflight.draining);
          series.response(denied.status, performance.now() - start, true);
          tapped?.end(denied.status, -1, denied.reason);
          inflight.leave();
          return;
        }
        forwarded = withClientId(headers, client.identity);
      }
      const scope: RequestScope = { inflight, start, span: undefined, tap: tapped };
      if (tracer.enabled) {
        const hop = {
          direction: 'inbound',
          method: req.method as string,
          path: req.url as string,
          authority: info.host,
        } as const;
        scope.span = tracer.start(forwarded, readRawHeader, hop);
        scope.span?.inject(forwarded, writeRawHeader);
      }
      app.dispatch(
        {
          path: req.url as string,
          method: req.method as Dispatcher.HttpMethod,
          headers: forwarded,
          body: info.hasBody ? req : null,
        },
        new AppForwardHandler(res, series, scope, undefined, undefined),
      );
    },
    stream: (stream, headers, flags) => {
      const start = performance.now();
      inflight.enter();
      const series = seriesFor(stream.session, headers[':authority']);
      series.request();
      const tapped = tap.active
        ? openTap(stream.session, String(headers[':method']), headers[':authority'], String(headers[':path']), start)
        : undefined;
      if (refused(stream.session)) {
        const grpc = isGrpc(headers);
        const code = respondH2Error(stream, IDENTITY_REQUIRED.status, IDENTITY_REQUIRED.reason, grpc);
        series.response(grpc ? 200 : IDENTITY_REQUIRED.status, performance.now() - start, true, code);
        tapped?.end(grpc ? 200 : IDENTITY_REQUIRED.status, code, IDENTITY_REQUIRED.reason);
        inflight.leave();
        return;
      }
      if (authz !== undefined) {
        const client = clientOf(stream.session);
        const denied = authz.request(client, { method: headers[':method'], url: headers[':path'], headers });
        if (denied !== undefined) {
          const grpc = isGrpc(headers);
          const code = respondH2Error(stream, denied.status, denied.reason, grpc);
          series.response(grpc ? 200 : denied.status, performance.now() - start, true, code);
          tapped?.end(grpc ? 200 : denied.status, code, denied.reason);
          inflight.leave();
          return;
        }
        setClientId(headers, client.identity);
      }
      const ctx: RequestScope = { inflight, start, span: undefined, tap: tapped };
      if (tracer.enabled) {
        const hop = {
          direction: 'inbound',
          method: String(headers[':method']),
          path: String(headers[':path']),
          authority: headers[':authority'],
          scheme: headers[':scheme'],
        } as const;
        ctx.span = tracer.start(headers, readHeaderObject, hop);
        ctx.span?.inject(headers, writeHeaderObject);
      }
      forwardStream({ down: stream, grpc: isGrpc(headers), ctx, app: true }, appH2, headers, flags, series);
    },
    upgrade: (req, socket, head) => {
      server.track(socket);
      const series = seriesFor(req.socket, req.headers.host);
      if (refused(req.socket)) {
        refuseUpgrade(socket, IDENTITY_REQUIRED, series, performance.now());
        return;
      }
      const denied = authz?.request(clientOf(req.socket), req);
      if (denied !== undefined) {
        refuseUpgrade(socket, denied, series, performance.now());
        return;
      }
      series.request();
      forwardUpgrade(req, socket, head, appTarget, series, performance.now(), (s) => server.track(s));
    },
    opaque: (socket, prefix) => {
      if (refused(socket) || authz?.connection(clientOf(socket)) === false) socket.destroy();
      else forwardOpaque(socket, prefix, appTarget, (s) => server.track(s));
    },
    tls:
      inboundTls === undefined
        ? undefined
        : (socket, prefix) =>
            inboundTls.accept(socket, prefix, (raw, bytes) => {
              // TLS for another name: not ours to terminate, passed through untouched (Linkerd)
              if (requireIdentity || authz?.connection(clientOf(raw)) === false) raw.destroy();
              else forwardOpaque(raw, bytes, appTarget, (s) => server.track(s));
            }),
    detectTimeoutMs: options.detectTimeoutMs,
    limits: options.limits,
    // a Server's `proxyProtocol: opaque`: no HTTP on this port, every connection is authorized as TCP
    opaqueOnly: authz !== undefined ? () => authz.policy.source.protocol === 'opaque' : undefined,
  });
  const openConnections = new OpenConnections([
    ['direction', 'inbound'],
    ['peer', 'src'],
    ['namespace', namespace],
    ['deployment', deployment],
    ['pod', pod],
  ]);
  openConnections.watch(server.tcp);
  const port = await listen(server.tcp, options.listenPort ?? 0, options.listenHost ?? '127.0.0.1');

  let closing: Promise<void> | undefined;
  let admin: AdminServer | undefined;
  const close = (drainMs = options.drainMs ?? 10_000): Promise<void> => {
    closing ??= (async () => {
      authz?.close();
      await drainServer(server, inflight, drainMs);
      await pools.destroy();
      appH2.destroy();
      tls?.contexts.close();
      await admin?.close();
      await tracer.shutdown();
    })();
    return closing;
  };
  try {
    admin = await startAdminServer(options.adminHost ?? '127.0.0.1', options.adminPort ?? 0, {
      metrics: () => metrics.render() + authzMetrics.render() + openConnections.render(),
      ready: () => closing === undefined,
      config: () => ({
        direction: 'inbound',
        listen: { host: options.listenHost ?? '127.0.0.1', port },
        app: { host: options.appHost ?? '127.0.0.1', port: options.appPort },
        ...(tls !== undefined ? { identity: tls.contexts.identity ?? null, requireIdentity } : {}),
        ...(authz !== undefined ? { policy: authz.policy.source } : {}),
        inflight: inflight.count,
      }),
      shutdown: () => void close().then(() => options.onShutdown?.()),
      tap,
    });
  } catch (err) {
    await close(0);
    throw err;
  }
  return {
    port,
    adminPort: admin.port,
    metrics,
    tap,
    close: (o) => close(o?.drainMs),
  };
}
