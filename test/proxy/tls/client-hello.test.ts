import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { sniOf } from '../../../proxy/tls/client-hello.js';
import { HOST } from '../support/harness.js';

/** the first bytes a Node TLS client sends (its ClientHello), caught by a plain TCP server */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  let got: Buffer = Buffer.alloc(0);
  let client: Socket | undefined;
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (sniOf(got) !== undefined) s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  try {
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      client = tlsConnect({ host: HOST, port, ...(servername !== undefined ? { servername } : {}) });
      client.on('error', () => resolve());
      client.on('close', () => resolve());
    });
  } finally {
    client?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
  return got;
}

describe('the SNI of a ClientHello', () => {
  it('is read from a real ClientHello', async () => {
    const hello = await clientHello('web.test.serviceaccount.identity.weir.cluster.local');
    expect(sniOf(hello)).toBe('web.test.serviceaccount.identity.weir.cluster.local');
  });

  it('is null when the client sends none (an IP address as host)', async () => {
    expect(sniOf(await clientHello(''))).toBeNull();
  });

  it('is undefined until the whole record has arrived, then known', async () => {
    const hello = await clientHello('a.example');
    expect(sniOf(hello.subarray(0, 4))).toBeUndefined();
    expect(sniOf(hello.subarray(0, hello.length - 1))).toBeUndefined();
    expect(sniOf(hello)).toBe('a.example');
  });

  it('is null for bytes that are not a ClientHello, and never throws on garbage', () => {
    expect(sniOf(Buffer.from('GET / HTTP/1.1\r\n'))).toBeNull();
    const junk = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff]);
    expect(sniOf(junk)).toBeNull();
    for (let seed = 1; seed < 200; seed++) {
      const b = Buffer.alloc(64, 0);
      b[0] = 0x16;
      b[1] = 3;
      b.writeUInt16BE(59, 3);
      for (let i = 5; i < 64; i++) b[i] = (seed * 31 + i * 17) & 0xff;
      expect(() => sniOf(b)).not.toThrow();
    }
  });
});
