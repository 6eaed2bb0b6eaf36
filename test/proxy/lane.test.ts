import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { putLaneHttp1, putLaneHttp2 } from '../../proxy/lane.js';

/** one request to a server that applies the lane and reports what routing and forwarding would see */
async function seen(headers: Record<string, string>): Promise<{ parsed: unknown; raw: string[] }> {
  let out: { parsed: unknown; raw: string[] } | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    putLaneHttp1(req, 'test/shop');
    out = { parsed: req.headers['weir-lane'], raw: [...req.rawHeaders] };
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  await new Promise((r) => server.close(r));
  return out!;
}

describe('the lane header of a canary-lane sidecar', () => {
  it('is put on an HTTP/1.1 request for routing (parsed headers) and forwarding (raw headers)', async () => {
    const r = await seen({ 'x-other': '1' });
    expect(r.parsed).toBe('test/shop');
    expect(r.raw).toEqual(expect.arrayContaining(['weir-lane', 'test/shop', 'x-other', '1']));
  });

  it("replaces a lane the app sent, once (the pod's lane wins)", async () => {
    const r = await seen({ 'Weir-Lane': 'other/release' });
    expect(r.parsed).toBe('test/shop');
    expect(r.raw.filter((v) => v.toLowerCase() === 'weir-lane')).toHaveLength(1);
    expect(r.raw).not.toContain('other/release');
  });

  it('is put on an HTTP/2 header object', () => {
    const h: Record<string, string> = { ':path': '/', 'weir-lane': 'x/y' };
    putLaneHttp2(h, 'test/shop');
    expect(h['weir-lane']).toBe('test/shop');
  });
});
