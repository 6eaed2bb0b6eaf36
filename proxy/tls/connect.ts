import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { errors, type buildConnector } from 'undici';
import type { TlsContexts } from './contexts.js';
import { dnsNames, IdentityMismatchError, namesIdentity } from './identity-name.js';

/** how long an HTTP/1.1 mTLS connection may take to connect and handshake (undici's default connect timeout) */
const CONNECT_TIMEOUT_MS = 10_000;

/** ALPN of an outbound mTLS connection: what the proxy speaks inside it (none for opaque TCP) */
export type UpstreamAlpn = 'h2' | 'http/1.1' | undefined;

/**
 * Outbound mTLS connections to a meshed endpoint (linkerd.md 1.10): our current certificate as the
 * client certificate, SNI = the identity discovery announced for the endpoint, the server's chain
 * verified against the trust anchors and its leaf required to name that identity (a DNS SAN). Node
 * checks both before `secureConnect`, so nothing is written to a server that fails either check; the
 * error is Node's verification error (an X.509 code) or `IdentityMismatchError`, which `errors.ts`
 * classifies. Connection errors of the handshake are counted per expected identity.
 */
export class UpstreamTls {
  /** handshake failures by `server_id` and reason, for `/metrics` */
  readonly failures = new Map<string, number>();

  constructor(private readonly contexts: TlsContexts) {}

  /** whether the proxy has material to prove its own identity with */
  get ready(): boolean {
    return this.contexts.context !== undefined;
  }

  /** a TLS connection to `host:port` that must prove `identity`; writes wait for the handshake */
  connect(host: string, port: number, identity: string, alpn: UpstreamAlpn, allowHalfOpen = false): TLSSocket {
    const options: ConnectionOptions & { allowHalfOpen: boolean } = {
      host,
      port,
      allowHalfOpen,
      servername: identity,
      secureContext: this.contexts.context,
      ...(alpn !== undefined ? { ALPNProtocols: [alpn] } : {}),
      checkServerIdentity: (_host: string, cert: PeerCertificate) =>
        namesIdentity(cert, identity) ? undefined : new IdentityMismatchError(identity, dnsNames(cert)),
    };
    const socket = tlsConnect(options);
    socket.setNoDelay(true);
    const counted = (err: NodeJS.ErrnoException) => {
      socket.off('secureConnect', connected);
      if ((socket.authorizationError as unknown) == null) return; // not a verification failure
      const reason = err instanceof IdentityMismatchError ? 'identity_mismatch' : 'untrusted';
      const key = `server_id="${identity}",reason="${reason}"`;
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    };
    const connected = () => socket.off('error', counted);
    socket.prependOnceListener('error', counted);
    socket.once('secureConnect', connected);
    return socket;
  }

  /** an undici `connect` option: HTTP/1.1 over mTLS to `identity` */
  undiciConnector(identity: string): buildConnector.connector {
    return (opts, callback) => {
      const socket = this.connect(opts.hostname, Number(opts.port), identity, 'http/1.1');
      const timer = setTimeout(
        () => socket.destroy(new errors.ConnectTimeoutError(`mTLS connect to ${opts.hostname}:${opts.port} timed out`)),
        CONNECT_TIMEOUT_MS,
      );
      const onError = (err: Error) => {
        clearTimeout(timer);
        socket.off('secureConnect', onConnect);
        callback(err, null);
      };
      const onConnect = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        callback(null, socket as Socket);
      };
      socket.once('error', onError);
      socket.once('secureConnect', onConnect);
    };
  }

  /** `/metrics` lines */
  render(): string {
    if (this.failures.size === 0) return '';
    let out =
      '# HELP outbound_tls_handshake_failures_total mTLS connections refused: untrusted chain or wrong identity.\n' +
      '# TYPE outbound_tls_handshake_failures_total counter\n';
    for (const [labels, n] of this.failures) out += `outbound_tls_handshake_failures_total{${labels}} ${n}\n`;
    return out;
  }
}
