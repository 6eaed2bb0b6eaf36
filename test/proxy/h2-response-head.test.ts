import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startOutboundProxy } from '../../proxy/index.js';
import { endpoints, freePort, ManualConfigSource, service } from './support/harness.js';
import { H2TestClient, startH2App } from './support/h2.js';

/**
 * The plain h2 forward holds a response's headers until the end of the event-loop turn, to learn
 * whether the response ends (and with trailers or not) before it answers (h2/forward.ts). Whatever the
 * timing of the endpoint's frames, the client gets the same response: headers as soon as they came,
 * body, trailers, resets.
 */
describe('outbound proxy: h2 response headers, body, trailers and resets whatever their timing', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  /** `/slow`: ends its response when called (the client saw the first chunk) */
  let releaseSlow: (() => void) | undefined;
  let slowEndedBy: 'client' | 'timeout' | undefined;

  /** the app's answers, by path */
  function answer(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    const path = String(headers[':path']);
    const head = { ':status': 200, 'x-path': path };
    switch (path) {
      case '/slow': {
        // headers and a first chunk now, the rest and trailers only once the client has seen the first
        // chunk (or after 5 s, when it never does)
        stream.respond(head, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-late-trailer': 'yes' }));
        stream.write('first,');
        slowEndedBy = undefined;
        const timer = setTimeout(() => {
          slowEndedBy = 'timeout';
          stream.end('second');
        }, 5_000);
        releaseSlow = () => {
          if (slowEndedBy !== undefined) return;
          clearTimeout(timer);
          slowEndedBy = 'client';
          stream.end('second');
        };
        return true;
      }
      case '/whole':
        stream.respond({ ...head, 'content-length': '5' });
        stream.end('whole');
        return true;
      case '/empty':
        // headers without END_STREAM, then an empty end
        stream.respond(head);
        stream.end();
        return true;
      case '/whole-trailers':
        stream.respond(head, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-trailer': 'at-once' }));
        stream.end('body');
        return true;
      case '/reset':
        // a response cut right after it started, in the same write
        stream.respond(head);
        stream.write('partial');
        stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        return true;
      case '/reset-later':
        stream.respond(head);
        stream.write('partial');
        // (close() here would end the stream first: destroy() resets it, INTERNAL_ERROR)
        setTimeout(() => stream.destroy(new Error('cut')), 100);
        return true;
      default:
        return false;
    }
  }

  async function proxied(): Promise<H2TestClient> {
    const app = await startH2App('web', answer);
    cleanup.push(() => app.close());
    const web = service('web', await freePort());
    const source = new ManualConfigSource({
      services: [web],
      httpRoutes: [],
      endpoints: [endpoints(web, [{ port: app.port, deployment: 'web' }])],
    });
    const proxy = await startOutboundProxy({ configSource: source });
    cleanup.push(() => proxy.close({ drainMs: 100 }));
    const c = new H2TestClient(web.spec.ports[0]!.port);
    cleanup.push(() => c.close());
    return c;
  }

  interface Seen {
    status: number;
    headers: IncomingHttpHeaders;
    /** ms after the request of: the response headers, the first body chunk, the close */
    headersAt: number;
    firstDataAt: number;
    closedAt: number;
    body: string;
    trailers: IncomingHttpHeaders | undefined;
    rstCode: number | undefined;
  }

  function get(c: H2TestClient, path: string): Promise<Seen> {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const req = c.session.request({ ':path': path }, { endStream: true });
      const seen: Seen = {
        status: 0,
        headers: {},
        headersAt: -1,
        firstDataAt: -1,
        closedAt: -1,
        body: '',
        trailers: undefined,
        rstCode: undefined,
      };
      req.on('response', (h) => {
        seen.headers = h;
        seen.status = Number(h[':status']);
        seen.headersAt = performance.now() - t0;
      });
      req.on('data', (d: Buffer) => {
        if (seen.firstDataAt < 0) {
          seen.firstDataAt = performance.now() - t0;
          if (path === '/slow') releaseSlow?.();
        }
        seen.body += d.toString();
      });
      req.on('trailers', (t) => (seen.trailers = t));
      req.on('error', () => undefined);
      req.on('close', () => {
        seen.closedAt = performance.now() - t0;
        seen.rstCode = req.rstCode;
        resolve(seen);
      });
    });
  }

  it('a streamed response: headers and the first chunk before the rest is sent, then the rest and trailers', async () => {
    const c = await proxied();
    const r = await get(c, '/slow');
    expect(r.status).toBe(200);
    expect(r.headers['x-path']).toBe('/slow');
    expect(r.body).toBe('first,second');
    expect(r.trailers?.['x-late-trailer']).toBe('yes');
    expect(r.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    // the client had the headers and the first chunk while the app still held the rest
    expect(slowEndedBy).toBe('client');
    expect(r.headersAt).toBeLessThanOrEqual(r.firstDataAt);
    expect(r.firstDataAt).toBeLessThan(r.closedAt);
  });

  it('responses that end at once: with a body, with an empty body, with trailers', async () => {
    const c = await proxied();
    const whole = await get(c, '/whole');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-length']).toBe('5');
    expect(whole.body).toBe('whole');
    expect(whole.trailers).toBeUndefined();
    expect(whole.rstCode).toBe(constants.NGHTTP2_NO_ERROR);

    const empty = await get(c, '/empty');
    expect(empty.status).toBe(200);
    expect(empty.headers['x-path']).toBe('/empty');
    expect(empty.body).toBe('');
    expect(empty.rstCode).toBe(constants.NGHTTP2_NO_ERROR);

    const wt = await get(c, '/whole-trailers');
    expect(wt.body).toBe('body');
    expect(wt.trailers?.['x-trailer']).toBe('at-once');
    expect(wt.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('a response reset by the endpoint after it started is reset for the client too, at once or later', async () => {
    const c = await proxied();
    for (const path of ['/reset', '/reset-later']) {
      const r = await get(c, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['x-path'], path).toBe(path);
      expect(r.rstCode, path).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    }
  });

  it('many small responses on one connection, each whole', async () => {
    const c = await proxied();
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => get(c, i % 2 === 0 ? '/whole' : '/empty')));
    for (const [i, r] of rs.entries()) {
      expect(r.status).toBe(200);
      expect(r.body).toBe(i % 2 === 0 ? 'whole' : '');
      expect(r.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    }
  });
});
