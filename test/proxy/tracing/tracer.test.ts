import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  connect,
  createServer as createH2Server,
  type ClientHttp2Session,
  type Http2Server,
  type IncomingHttpHeaders as H2Headers,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTracer,
  readHeaderObject,
  readRawHeader,
  TRACING_OFF,
  writeHeaderObject,
  writeRawHeader,
  type HopSpan,
  type Tracer,
  type TracingConfig,
} from '../../../proxy/tracing/index.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TID64 = 'a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

let receiver: OtlpReceiver;
let tracer: Tracer;

function tracerFor(overrides: Partial<TracingConfig> = {}): Tracer {
  return createTracer({
    collector: receiver.url,
    serviceName: 'podinfo',
    namespace: 'test',
    pod: 'podinfo-7d9f-abcde',
    deployment: 'podinfo',
    resourceAttributes: { 'app.kubernetes.io/version': '2.0.0' },
    flushIntervalMs: 60_000, // exports happen on flush() unless a batch fills up
    ...overrides,
  });
}

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  tracer = tracerFor();
});

afterEach(async () => {
  await tracer.shutdown();
  await receiver.close();
});

describe('an HTTP/1.1 hop (flat rawHeaders) between a real client and app', () => {
  /** headers each app request arrived with */
  let seen: IncomingHttpHeaders[];
  let app: Server;
  let hop: Server;
  let hopPort: number;
  /** the spans the hop started, in order */
  let started: (HopSpan | undefined)[];

  beforeEach(async () => {
    seen = [];
    started = [];
    app = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain' }).end('ok');
    });
    const appPort = await listen(app);
    // the request path as the proxy's HTTP/1.1 forwarder has it: a flat header array sent on with undici
    hop = createServer((req, res) => {
      const headers: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        if (!/^(connection|keep-alive)$/i.test(name)) headers.push(name, req.rawHeaders[i + 1] as string);
      }
      const span = tracer.start(headers, readRawHeader, {
        direction: 'outbound',
        method: req.method as string,
        path: req.url as string,
        authority: req.headers.host,
        scheme: 'http',
      });
      started.push(span);
      span?.inject(headers, writeRawHeader);
      request(`http://127.0.0.1:${appPort}${req.url}`, { method: 'GET', headers }).then(
        async (upstream) => {
          const body = await upstream.body.text();
          res.on('finish', () => span?.end(upstream.statusCode));
          res.writeHead(upstream.statusCode, { 'content-type': 'text/plain' }).end(body);
        },
        (err: Error) => {
          span?.end(0, { error: err });
          res.writeHead(502).end();
        },
      );
    });
    hopPort = await listen(hop);
  });

  afterEach(async () => {
    await close(hop);
    await close(app);
  });

  async function get(path: string, headers: Record<string, string>): Promise<number> {
    const res = await request(`http://127.0.0.1:${hopPort}${path}`, { headers });
    await res.body.text();
    return res.statusCode;
  }

  it('forwards a sampled W3C context as a child of the caller and exports the hop span with Linkerd attributes', async () => {
    const status = await get('/orders/42?x=1', {
      traceparent: `00-${TID}-${SID}-01`,
      tracestate: 'vendor=opaque',
      'user-agent': 'curl/8.5.0',
      'content-type': 'application/json',
    });
    expect(status).toBe(200);
    const span = started[0] as HopSpan;
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.spanId).not.toBe(SID);
    expect(seen[0]?.traceparent).toBe(`00-${TID}-${span.spanId}-01`);
    expect(seen[0]?.tracestate).toBe('vendor=opaque');

    await tracer.flush();
    const [exported] = await receiver.waitForSpans(1);
    expect(exported).toMatchObject({
      name: '/orders/42',
      kind: SPAN_KIND_CLIENT,
      traceId: TID,
      spanId: span.spanId,
      parentSpanId: SID,
      status: { code: STATUS_UNSET },
      scope: 'weir-proxy',
    });
    expect(exported?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/orders/42',
      'url.query': 'x=1',
      'url.scheme': 'http',
      'url.full': `http://127.0.0.1:${hopPort}/orders/42?x=1`,
      'network.transport': 'tcp',
      'server.address': '127.0.0.1',
      'server.port': hopPort,
      'user_agent.original': 'curl/8.5.0',
      'http.request.header.content-type': 'application/json',
      direction: 'outbound',
      'http.response.status_code': 200,
    });
    expect(exported?.resource).toMatchObject({
      'service.name': 'podinfo',
      'k8s.namespace.name': 'test',
      'k8s.pod.name': 'podinfo-7d9f-abcde',
      'k8s.deployment.name': 'podinfo',
      'app.kubernetes.io/version': '2.0.0',
      'process.pid': process.pid,
    });
    expect(BigInt(exported?.endTimeUnixNano ?? 0)).toBeGreaterThanOrEqual(BigInt(exported?.startTimeUnixNano ?? 1));
  });

  it('marks an outbound 4xx as an error', async () => {
    expect(await get('/missing', { traceparent: `00-${TID}-${SID}-01` })).toBe(404);
    await tracer.flush();
    const [exported] = await receiver.waitForSpans(1);
    expect(exported?.attributes['http.response.status_code']).toBe(404);
    expect(exported?.status).toEqual({ code: STATUS_ERROR, message: 'HTTP 404' });
  });

  it.each([
    ['an unsampled traceparent', { traceparent: `00-${TID}-${SID}-00`, tracestate: 'a=b' }],
    ['an unsampled B3 context', { 'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': '0' }],
    ['an invalid traceparent', { traceparent: `00-${TID.toUpperCase()}-${SID}-01` }],
    ['no trace context', { 'x-request-id': 'r1' }],
  ])('passes %s through untouched and exports nothing', async (_, headers) => {
    expect(await get('/', headers)).toBe(200);
    expect(started).toEqual([undefined]);
    expect(seen[0]).toMatchObject(headers);
    // a sampled request after it is the only span the collector gets
    await get('/after', { traceparent: `00-${TID}-${SID}-01` });
    await tracer.flush();
    await receiver.waitForSpans(1);
    expect(receiver.spans.map((s) => s.name)).toEqual(['/after']);
  });
});

describe('an HTTP/2 hop (header objects) between a real h2c client and gRPC-style app', () => {
  let seen: H2Headers[];
  let app: Http2Server;
  let hop: Http2Server;
  let sessions: ClientHttp2Session[];
  let hopPort: number;

  async function listenH2(server: Http2Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  function session(port: number): ClientHttp2Session {
    const s = connect(`http://127.0.0.1:${port}`);
    sessions.push(s);
    return s;
  }

  beforeEach(async () => {
    seen = [];
    sessions = [];
    app = createH2Server();
    app.on('stream', (stream, headers) => {
      seen.push(headers);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14' }));
      stream.end();
    });
    const appPort = await listenH2(app);
    const upstream = session(appPort);
    // the request path as an h2 forwarder has it: the incoming header object, an outgoing one built from it
    hop = createH2Server();
    hop.on('stream', (stream, headers) => {
      const span = tracer.start(headers, readHeaderObject, {
        direction: 'inbound',
        method: headers[':method'] as string,
        path: headers[':path'] as string,
        authority: headers[':authority'],
        scheme: headers[':scheme'],
      });
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(headers)) if (name !== ':scheme') out[name] = value;
      span?.inject(out, writeHeaderObject);
      const req = upstream.request(out);
      req.on('response', (h) => stream.respond({ ':status': h[':status'] }, { waitForTrailers: true }));
      let grpcStatus: number | undefined;
      req.on('trailers', (t) => (grpcStatus = Number(t['grpc-status'])));
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(grpcStatus) }));
      req.on('end', () => {
        stream.end();
        span?.end(200, { grpcStatus });
      });
      req.resume();
      req.end();
    });
    hopPort = await listenH2(hop);
  });

  afterEach(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => hop.close(resolve));
    await new Promise((resolve) => app.close(resolve));
  });

  it('rewrites the b3 header and records the gRPC status from the trailers', async () => {
    const client = session(hopPort);
    const req = client.request({
      ':method': 'POST',
      ':path': '/pkg.Orders/Get',
      'content-type': 'application/grpc',
      b3: `${TID}-${SID}-1`,
    });
    req.end();
    const trailers = await new Promise<H2Headers>((resolve, reject) => {
      req.on('trailers', resolve);
      req.on('error', reject);
      req.resume();
    });
    expect(trailers['grpc-status']).toBe('14');
    await tracer.flush();
    const [exported] = await receiver.waitForSpans(1);
    expect(seen[0]?.b3).toBe(`${TID}-${exported?.spanId}-1-${SID}`);
    expect(exported).toMatchObject({
      name: '/pkg.Orders/Get',
      kind: SPAN_KIND_SERVER,
      traceId: TID,
      parentSpanId: SID,
      status: { code: STATUS_ERROR, message: 'gRPC status 14' },
    });
    expect(exported?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': hopPort,
      'http.request.header.content-type': 'application/grpc',
      'rpc.grpc.status_code': 14,
      'http.response.status_code': 200,
    });
  });
});

describe('a header object hop (HTTP/2 shape)', () => {
  it('rewrites B3 multi-headers and exports a failing inbound span with the padded 64-bit trace id', async () => {
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': '/api/v1/items',
      ':authority': 'podinfo.test:9898',
      'x-b3-traceid': TID64,
      'x-b3-spanid': SID,
      'x-b3-sampled': '1',
    };
    const span = tracer.start(headers, readHeaderObject, {
      direction: 'inbound',
      method: 'POST',
      path: '/api/v1/items',
      authority: 'podinfo.test:9898',
    });
    expect(span?.format).toBe('b3-multi');
    span?.inject(headers, writeHeaderObject);
    expect(headers).toMatchObject({
      'x-b3-traceid': TID64,
      'x-b3-spanid': span?.spanId,
      'x-b3-parentspanid': SID,
      'x-b3-sampled': '1',
    });
    expect(span?.outgoingHeaders()).toEqual(['x-b3-spanid', span?.spanId, 'x-b3-parentspanid', SID]);
    span?.end(503);
    span?.end(200); // ignored: a span ends once

    await tracer.flush();
    const [exported] = await receiver.waitForSpans(1);
    expect(exported).toMatchObject({
      name: '/api/v1/items',
      kind: SPAN_KIND_SERVER,
      traceId: `0000000000000000${TID64}`,
      parentSpanId: SID,
      status: { code: STATUS_ERROR, message: 'HTTP 503' },
    });
    expect(exported?.attributes).toMatchObject({
      'server.address': 'podinfo.test',
      'server.port': 9898,
      'http.response.status_code': 503,
      direction: 'inbound',
    });
    expect(exported?.attributes['url.scheme']).toBeUndefined();
    expect(exported?.attributes['url.full']).toBe('/api/v1/items');
  });

  it('rewrites every format the request carries for the same trace, and no other', () => {
    const headers: Record<string, string> = {
      traceparent: `00-${TID}-${SID}-01`,
      'x-b3-traceid': TID,
      'x-b3-spanid': SID,
      'x-b3-sampled': '1',
      b3: `${TID64}${TID64}-${SID}-1`, // another trace: left alone
    };
    const span = tracer.start(headers, readHeaderObject, { direction: 'outbound', method: 'GET', path: '/' });
    span?.inject(headers, writeHeaderObject);
    expect(span?.format).toBe('w3c');
    expect(headers).toEqual({
      traceparent: `00-${TID}-${span?.spanId}-01`,
      'x-b3-traceid': TID,
      'x-b3-spanid': span?.spanId,
      'x-b3-parentspanid': SID,
      'x-b3-sampled': '1',
      b3: `${TID64}${TID64}-${SID}-1`,
    });
  });

  it.each([
    [
      'an absolute-form target, credentials redacted',
      { path: 'http://user:pw@podinfo.test:9898/a/b?c=d' },
      {},
      { name: '/a/b', 'url.query': 'c=d', 'url.full': 'http://REDACTED:REDACTED@podinfo.test:9898/a/b?c=d' },
    ],
    ['an absolute-form target without path', { path: 'http://podinfo.test?x' }, {}, { name: '/', 'url.query': 'x' }],
    ['an asterisk-form target', { path: '*', method: 'OPTIONS' }, {}, { name: '*', 'url.full': '*' }],
    [
      'X-Forwarded-Host before the authority',
      { path: '/', authority: 'inner:80' },
      { 'x-forwarded-host': 'edge.example.com:8443' },
      { name: '/', 'server.address': 'edge.example.com', 'server.port': 8443 },
    ],
    ['an IPv6 authority', { path: '/', authority: '[::1]:9898' }, {}, { 'server.address': '::1', 'server.port': 9898 }],
  ])('names and describes %s as Linkerd does', async (_, request, extraHeaders, expected) => {
    const headers = { traceparent: `00-${TID}-${SID}-01`, ...extraHeaders };
    tracer.start(headers, readHeaderObject, { direction: 'inbound', method: 'GET', ...request })?.end(204);
    await tracer.flush();
    const [exported] = await receiver.waitForSpans(1);
    const { name, ...attributes } = expected as Record<string, unknown>;
    if (name !== undefined) expect(exported?.name).toBe(name);
    expect(exported?.attributes).toMatchObject(attributes);
  });

  it('records a failure without a response as error, and gRPC statuses as OTel classifies them', async () => {
    const info = { method: 'POST', path: '/pkg.Svc/Call' };
    const b3 = (spanId: string) => ({ b3: `${TID}-${spanId}-1` });
    tracer.start(b3('0000000000000001'), readHeaderObject, { ...info, direction: 'outbound' })?.end(0, {
      error: new Error('connect ECONNREFUSED 127.0.0.1:1'),
    });
    tracer
      .start(b3('0000000000000002'), readHeaderObject, { ...info, direction: 'inbound' })
      ?.end(200, { grpcStatus: 14 });
    tracer
      .start(b3('0000000000000003'), readHeaderObject, { ...info, direction: 'inbound' })
      ?.end(200, { grpcStatus: 5 });
    tracer
      .start(b3('0000000000000004'), readHeaderObject, { ...info, direction: 'outbound' })
      ?.end(200, { grpcStatus: 5 });

    await tracer.flush();
    const spans = await receiver.waitForSpans(4);
    const byParent = Object.fromEntries(spans.map((s) => [s.parentSpanId, s]));
    expect(byParent['0000000000000001']?.status).toEqual({
      code: STATUS_ERROR,
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(byParent['0000000000000001']?.attributes).toMatchObject({ error: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(byParent['0000000000000001']?.attributes['http.response.status_code']).toBeUndefined();
    expect(byParent['0000000000000002']?.status).toEqual({ code: STATUS_ERROR, message: 'gRPC status 14' });
    expect(byParent['0000000000000002']?.attributes['rpc.grpc.status_code']).toBe(14);
    expect(byParent['0000000000000003']?.status.code).toBe(STATUS_UNSET);
    expect(byParent['0000000000000004']?.status.code).toBe(STATUS_ERROR);
  });
});

describe('what tracing costs when it has nothing to do', () => {
  function countingReader() {
    const names: string[] = [];
    return {
      names,
      read: (headers: Record<string, string>, name: string) => {
        names.push(name);
        return readHeaderObject(headers, name);
      },
    };
  }
  const info = { direction: 'outbound' as const, method: 'GET', path: '/' };

  it('tracing off reads no header at all', () => {
    const off = createTracer(undefined);
    expect(off).toBe(TRACING_OFF);
    const { names, read } = countingReader();
    expect(off.start({ traceparent: `00-${TID}-${SID}-01` }, read, info)).toBeUndefined();
    expect(names).toEqual([]);
  });

  it('no context costs three header lookups', () => {
    const { names, read } = countingReader();
    expect(tracer.start({ host: 'a' }, read, info)).toBeUndefined();
    expect(names).toEqual(['traceparent', 'b3', 'x-b3-traceid']);
  });

  it('an unsampled W3C context costs one lookup and leaves the headers as they were', () => {
    const headers = { traceparent: `00-${TID}-${SID}-00` };
    const { names, read } = countingReader();
    expect(tracer.start(headers, read, info)).toBeUndefined();
    expect(names).toEqual(['traceparent']);
    expect(headers).toEqual({ traceparent: `00-${TID}-${SID}-00` });
  });
});

describe('the collector', () => {
  it('shutdown flushes the spans still queued', async () => {
    for (let i = 1; i <= 3; i++) {
      tracer
        .start({ traceparent: `00-${TID}-${SID}-01` }, readHeaderObject, {
          direction: 'inbound',
          method: 'GET',
          path: `/${i}`,
        })
        ?.end(200);
    }
    expect(receiver.spans).toEqual([]);
    await tracer.shutdown();
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['/1', '/2', '/3']);
    expect(tracer.counts).toEqual({ exported: 3, failed: 0 });
  });

  it('when slow, holds at most maxQueueSize spans and drops the rest without waiting', async () => {
    await tracer.shutdown();
    tracer = tracerFor({ batchSize: 2, maxQueueSize: 4 });
    receiver.hold();
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      tracer
        .start({ b3: `${TID}-${SID}-1` }, readHeaderObject, { direction: 'inbound', method: 'GET', path: `/${i}` })
        ?.end(200);
    }
    expect(performance.now() - started).toBeLessThan(1000);
    await receiver.waitForSpans(2); // the first full batch went out and is waiting for its response
    receiver.release();
    await tracer.flush();
    // one batch in flight plus a full queue; the 14 others were dropped
    expect(receiver.spans.map((s) => s.name)).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    expect(tracer.counts).toEqual({ exported: 6, failed: 0 });
  });

  it('when down, costs requests nothing and shutdown still returns in bounded time', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await close(closed);
    await tracer.shutdown();
    tracer = createTracer({
      collector: `http://127.0.0.1:${port}`,
      serviceName: 'podinfo',
      exportTimeoutMs: 1000,
      batchSize: 2,
    });
    for (let i = 0; i < 5; i++) {
      const span = tracer.start({ traceparent: `00-${TID}-${SID}-01` }, readHeaderObject, {
        direction: 'inbound',
        method: 'GET',
        path: '/',
      });
      expect(span).toBeDefined();
      span?.end(200);
    }
    const stopping = performance.now();
    await tracer.shutdown();
    expect(performance.now() - stopping).toBeLessThan(5000);
    expect(tracer.counts).toEqual({ exported: 0, failed: 5 });
  });
});

describe('configuration', () => {
  it.each([
    [{ collector: 'ftp://x', serviceName: 's' }, /tracing\.collector: an http:\/\/ or https:\/\/ URL/],
    [{ collector: 'not a url', serviceName: 's' }, /tracing\.collector/],
    [{ collector: 'http://127.0.0.1:4318', serviceName: '' }, /tracing\.serviceName/],
    [{ collector: 'http://127.0.0.1:4318', serviceName: 's', batchSize: 0 }, /tracing\.batchSize/],
    [
      { collector: 'http://127.0.0.1:4318', serviceName: 's', batchSize: 10, maxQueueSize: 5 },
      /tracing\.batchSize: batchSize must not exceed maxQueueSize/,
    ],
    [{ collector: 'http://127.0.0.1:4318', serviceName: 's', colector: 'x' }, /tracing\.\(root\): .*colector/],
  ])('rejects %o naming the field', (config, message) => {
    expect(() => createTracer(config as TracingConfig)).toThrow(message);
  });

  it('posts to <collector>/v1/traces, with or without a trailing slash', async () => {
    await tracer.shutdown();
    tracer = tracerFor({ collector: `${receiver.url}/` });
    tracer
      .start({ b3: `${TID}-${SID}-1` }, readHeaderObject, { direction: 'inbound', method: 'GET', path: '/' })
      ?.end(200);
    await tracer.flush();
    await receiver.waitForSpans(1);
    expect(tracer.counts.exported).toBe(1);
  });
});
