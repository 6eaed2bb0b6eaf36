import { lookup } from 'node:dns/promises';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EgressDecision } from '../../engine/policy/egress.js';
import type { EgressMetrics } from './metrics.js';
import type { EgressPolicySource } from './source.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface EgressForwarderOptions {
  source: EgressPolicySource;
  metrics: EgressMetrics;
  /** where a would-be denial of audit mode is logged */
  onAudit: (line: string) => void;
  /** where a route's Service backend listens (the outbound listener of that Service port) */
  serviceTarget: (namespace: string, name: string, port: number) => HostPort | undefined;
  /** an address of the mesh (an endpoint of a Service): never egress */
  isMeshAddress?: (ip: string, port: number) => boolean;
  /** name resolution (default: the system's, as the app's own would be) */
  resolve?: (host: string) => Promise<string>;
}

const defaultResolve = async (host: string): Promise<string> => (await lookup(host)).address;

/** Send `req` to `target` as an origin-form request and its response back to `res`; `done(status, error)` once over. */
export function pipeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: HostPort,
  path: string,
  done: (status: number | undefined, error: string) => void = () => undefined,
): void {
  const headers = { ...req.headers };
  delete headers['proxy-connection'];
  delete headers['proxy-authorization'];
  let status: number | undefined;
  const upstream = request({ host: target.host, port: target.port, method: req.method, path, headers }, (up) => {
    status = up.statusCode ?? 502;
    res.writeHead(status, up.rawHeaders);
    up.pipe(res);
  });
  res.once('close', () => done(status, res.writableFinished ? '' : 'CANCEL'));
  upstream.on('error', (err) => {
    if (!res.headersSent) {
      status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`forward proxy: ${err.message}\n`);
    } else res.destroy();
  });
  req.pipe(upstream);
}

/** Open a tunnel from the CONNECT client to `target`; `done(error)` when it closes. */
export function pipeConnect(
  client: Socket,
  head: Buffer,
  target: HostPort,
  done: (error: string) => void = () => undefined,
): void {
  let opened = false;
  const upstream = connect(target.port, target.host, () => {
    opened = true;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!opened && client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    client.destroy();
  });
  client.on('error', () => upstream.destroy());
  let closed = false;
  const close = (error: string) => {
    if (closed) return;
    closed = true;
    done(error);
  };
  upstream.once('close', (hadError) => close(opened ? (hadError ? 'io' : '') : 'connect'));
}

function describe(d: EgressDecision): string {
  return `EgressNetwork ${d.network.namespace}/${d.network.name} (route ${d.route.kind === 'default' ? 'default ' : `${d.route.kind} ${d.route.namespace}/`}${d.route.name})`;
}

/**
 * The sidecar's egress: what the app sends through its forward proxy to an address that is not a mesh
 * Service. Without any EgressNetwork for the pod's namespace it passes straight through, as it always did.
 * Otherwise the destination's name is resolved, its address matched against the EgressNetworks (engine's
 * `EgressPolicy`) and the request or tunnel allowed (to the original destination, or to a Service a route
 * names), denied (HTTP 403 `traffic not allowed`; a CONNECT answered 403 and closed), or, in audit mode,
 * allowed and logged as a would-be denial; each one counted (metrics.ts).
 */
export class EgressForwarder {
  private readonly resolve: (host: string) => Promise<string>;

  constructor(private readonly options: EgressForwarderOptions) {
    this.resolve = options.resolve ?? defaultResolve;
  }

  /** the address to match: the host itself when it is an IP, else what it resolves to; undefined: not egress */
  private async address(host: string, port: number): Promise<string | undefined> {
    const ip = isIP(host) !== 0 ? host : await this.resolve(host);
    return this.options.isMeshAddress?.(ip, port) === true ? undefined : ip;
  }

  /** an HTTP request for `url` (absolute form, http:) */
  async request(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = Number(url.port || 80);
    const path = `${url.pathname}${url.search}`;
    const policy = this.options.source.current();
    if (policy.empty) return pipeRequest(req, res, { host, port }, path);
    let ip: string | undefined;
    try {
      ip = await this.address(host, port);
    } catch (err) {
      res
        .writeHead(502, { 'content-type': 'text/plain' })
        .end(`forward proxy: cannot resolve ${host}: ${(err as Error).message}\n`);
      return;
    }
    const d =
      ip === undefined
        ? undefined
        : policy.http(ip, port, host, { method: req.method, url: path, headers: req.headers });
    if (d === undefined) return pipeRequest(req, res, { host: ip ?? host, port }, path);
    const labels = this.options.metrics.labels(d, port, host);
    const start = performance.now();
    const count = (status: number | undefined, error: string) =>
      this.options.metrics.httpRequest(labels, status, error, performance.now() - start);
    if (d.action === 'deny') {
      req.resume();
      res.writeHead(403, { 'content-type': 'text/plain' }).end('traffic not allowed\n');
      count(403, '');
      return;
    }
    if (d.wouldDeny) {
      this.options.metrics.auditedDenial(labels, 'http');
      this.options.onAudit(`egress audit: would deny ${req.method ?? ''} ${url.href} to ${describe(d)}`);
    }
    const b = d.backend;
    if (b.kind === 'invalid') {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`invalid backend: ${b.message}\n`);
      count(500, '');
      return;
    }
    const target = b.kind === 'forward' ? { host: ip!, port } : this.options.serviceTarget(b.namespace, b.name, b.port);
    if (target === undefined) {
      const missing = b.kind === 'service' ? `${b.namespace}/${b.name}:${b.port}` : '';
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`invalid backend: Service ${missing} not found\n`);
      count(500, '');
      return;
    }
    pipeRequest(req, res, target, path, count);
  }

  /** a CONNECT tunnel to `host:port` */
  async connect(client: Socket, head: Buffer, hostname: string, port: number): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const policy = this.options.source.current();
    if (policy.empty) return pipeConnect(client, head, { host, port });
    let ip: string | undefined;
    try {
      ip = await this.address(host, port);
    } catch {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const d = ip === undefined ? undefined : policy.connection(ip, port, isIP(host) === 0 ? host : undefined);
    if (d === undefined) return pipeConnect(client, head, { host: ip ?? host, port });
    const labels = this.options.metrics.labels(d, port, host);
    this.options.metrics.tcpOpen(labels);
    if (d.action === 'deny') {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\ntraffic not allowed\n');
      client.destroySoon();
      this.options.metrics.tcpClose(labels, 'forbidden');
      return;
    }
    if (d.wouldDeny) {
      this.options.metrics.auditedDenial(labels, 'tcp');
      this.options.onAudit(`egress audit: would deny CONNECT ${host}:${port} to ${describe(d)}`);
    }
    const b = d.backend;
    const target =
      b.kind === 'forward'
        ? { host: ip!, port }
        : b.kind === 'service'
          ? this.options.serviceTarget(b.namespace, b.name, b.port)
          : undefined;
    if (target === undefined) {
      client.end('HTTP/1.1 500 Internal Server Error\r\n\r\n');
      this.options.metrics.tcpClose(labels, 'invalid_backend');
      return;
    }
    pipeConnect(client, head, target, (error) => this.options.metrics.tcpClose(labels, error));
  }
}
