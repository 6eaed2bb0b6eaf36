import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readClientHello } from './client-hello.js';
import { MESH_TLS_VERSION, type TlsContexts } from './contexts.js';
import type { TlsMaterial } from './material.js';
import { identityOf } from './identity-name.js';

/** how long a TLS handshake may take once the ClientHello is read (Node's default is 120 s) */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** ALPN the inbound side offers on mesh mTLS: h2 first, then HTTP/1.1 (opaque clients offer none) */
const ALPN = ['h2', 'http/1.1'];

/** what a terminated connection becomes: `tls` carries the decrypted stream */
export type Terminated = (tls: TLSSocket, alpn: string | false, clientId: string | undefined) => void;

/**
 * The inbound side of mesh mTLS (linkerd.md 1.2, 1.10). A connection that starts with a ClientHello is
 * terminated only when its SNI is the proxy's own identity, by a `tls.Server` that never listens (it is
 * handed the connection): with the current certificate, asking for a client certificate. A client
 * certificate that is sent must chain to the trust anchors, else the connection is closed; its leaf's
 * DNS SAN is the client's identity. A client that sends none is served as TLS without identity
 * (policy decides: `requireIdentity`). Any other SNI, or none, is passed through untouched. A renewed
 * certificate is put in force with `setSecureContext`: new connections use it, established ones keep theirs.
 */
export class InboundTls {
  private server: Server | undefined;

  constructor(
    private readonly contexts: TlsContexts,
    /** the wait for a whole ClientHello (the detect timeout) */
    private readonly detectTimeoutMs: number,
    private readonly terminated: Terminated,
  ) {
    contexts.onChange((m) => this.server?.setSecureContext(secureOptions(m)));
  }

  /**
   * `socket` started with a ClientHello (`prefix`, the bytes detection read): terminated when it is for
   * us, else handed to `passThrough` with every byte read so far.
   */
  accept(socket: Socket, prefix: Buffer, passThrough: (socket: Socket, bytes: Buffer) => void): void {
    readClientHello(socket, prefix, this.detectTimeoutMs, (sni, bytes) => {
      const material = this.contexts.current;
      if (sni === null || material === undefined || sni !== material.identity) {
        passThrough(socket, bytes);
        return;
      }
      socket.unshift(bytes);
      (this.server ??= this.createServer(material)).emit('connection', socket);
    });
  }

  private createServer(material: TlsMaterial): Server {
    const server = createServer({
      ...secureOptions(material),
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ALPN,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    server.on('secureConnection', (tls: TLSSocket) => {
      tls.on('error', () => tls.destroy());
      const cert = tls.getPeerCertificate();
      const sent = cert !== null && Object.keys(cert).length > 0;
      if (sent && !tls.authorized) {
        // a certificate that does not chain to our trust anchors is refused, not ignored
        tls.destroy();
        return;
      }
      this.terminated(tls, tls.alpnProtocol ?? false, sent ? identityOf(cert) : undefined);
    });
    // handshake failures (a client refusing our certificate, a timeout): the connection is closed
    server.on('tlsClientError', (_err, tls) => tls.destroy());
    return server;
  }
}

function secureOptions(m: TlsMaterial) {
  return { key: m.keyPem, cert: m.certChainPem, ca: m.trustAnchorsPem, minVersion: MESH_TLS_VERSION };
}
