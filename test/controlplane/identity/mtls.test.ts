import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { trustAnchorsPem } from '../../../controlplane/identity/authority.js';
import { loadOrCreateAuthority } from '../../../controlplane/identity/authority-store.js';
import { CaCertifier } from '../../../controlplane/identity/ca-certifier.js';
import { LocalTokens } from '../../../controlplane/identity/local-tokens.js';
import { identityName, type Workload } from '../../../controlplane/identity/names.js';
import { makeCsr, pem } from './support.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const peerNames = (s: TLSSocket) => s.getPeerCertificate().subjectaltname ?? '';

describe('issued certificates carry mutual TLS', () => {
  it('a node:tls server and client, each with its leaf, handshake and see each other’s identity', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-mtls-'));
    const authority = await loadOrCreateAuthority(dir);
    const tokens = new LocalTokens();
    const certifier = new CaCertifier({ authority, tokens });
    const material = async (w: Workload) => {
      const identity = identityName(w);
      const { csr, keyPem } = await makeCsr(identity);
      const res = await certifier.certify({ identity, token: tokens.issue(w), csr });
      return { identity, key: keyPem, cert: [res.leafCertificate, ...res.intermediateCertificates].map(pem).join('') };
    };
    const server = await material({ namespace: 'shop', serviceAccount: 'api' });
    const client = await material({ namespace: 'shop', serviceAccount: 'web' });
    const ca = trustAnchorsPem(authority);

    let serverSaw = '';
    const tlsServer = createServer(
      { key: server.key, cert: server.cert, ca, requestCert: true, rejectUnauthorized: true },
      (socket) => {
        serverSaw = peerNames(socket);
        socket.end('hello');
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = tlsServer.address() as AddressInfo;
      const { clientSaw, body } = await new Promise<{ clientSaw: string; body: string }>((resolve, reject) => {
        // servername: node's default check then requires the server's DNS SAN to be the identity we expect
        const socket = connect({
          host: '127.0.0.1',
          port,
          servername: server.identity,
          key: client.key,
          cert: client.cert,
          ca,
        });
        let body = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (body += d));
        socket.on('end', () => resolve({ clientSaw: peerNames(socket), body }));
        socket.on('error', reject);
        socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
      });
      expect(body).toBe('hello');
      expect(clientSaw).toContain(`DNS:${server.identity}`);
      expect(clientSaw).toContain('URI:spiffe://cluster.local/ns/shop/sa/api');
      expect(serverSaw).toContain(`DNS:${client.identity}`);
      expect(serverSaw).toContain('URI:spiffe://cluster.local/ns/shop/sa/web');

      // and a client expecting another identity refuses the server
      const refused = await new Promise<Error | undefined>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port,
          servername: identityName({ namespace: 'shop', serviceAccount: 'db' }),
          key: client.key,
          cert: client.cert,
          ca,
        });
        socket.on('secureConnect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.on('error', resolve);
      });
      expect(refused?.message).toMatch(/does not match certificate's altnames/);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});
