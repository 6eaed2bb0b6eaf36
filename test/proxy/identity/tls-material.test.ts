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
import type { TlsMaterial } from '../../../proxy/identity/types.js';
import { WorkloadIdentity } from '../../../proxy/identity/workload-identity.js';

let dir: string | undefined;
const identities: WorkloadIdentity[] = [];
afterAll(async () => {
  for (const w of identities) w.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('TlsMaterial as the mTLS layer uses it', () => {
  it('two sidecars’ material, straight into node:tls, gives a mutual handshake naming both identities', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-tls-material-'));
    const authority = await loadOrCreateAuthority(dir);
    const tokens = new LocalTokens();
    const certifier = new CaCertifier({ authority, tokens });
    const sidecar = async (w: Workload): Promise<TlsMaterial> => {
      const token = tokens.issue(w);
      const wid = new WorkloadIdentity({
        identity: identityName(w),
        trustAnchorsPem: trustAnchorsPem(authority),
        token: () => token,
        certify: (req) => certifier.certify(req),
      });
      identities.push(wid);
      return wid.start().ready();
    };
    const [server, client] = await Promise.all([
      sidecar({ namespace: 'shop', serviceAccount: 'api' }),
      sidecar({ namespace: 'shop', serviceAccount: 'web' }),
    ]);

    let serverSaw = '';
    const tlsServer = createServer(
      {
        key: server.keyPem,
        cert: server.certChainPem,
        ca: server.trustAnchorsPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        serverSaw = socket.getPeerCertificate().subjectaltname ?? '';
        socket.end('ok');
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (tlsServer.address() as AddressInfo).port;
      const clientSaw = await new Promise<string>((resolve, reject) => {
        const socket: TLSSocket = connect({
          host: '127.0.0.1',
          port,
          servername: server.identity,
          key: client.keyPem,
          cert: client.certChainPem,
          ca: client.trustAnchorsPem,
        });
        socket.on('secureConnect', () => resolve(socket.getPeerCertificate().subjectaltname ?? ''));
        socket.on('error', reject);
        socket.on('data', () => socket.end());
        socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
      });
      expect(clientSaw).toContain(`DNS:${server.identity}`);
      await expect.poll(() => serverSaw, { timeout: 10_000 }).toContain(`DNS:${client.identity}`);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});
