import { hostname } from 'node:os';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

export interface ServingCert {
  key: string;
  cert: string;
}

/**
 * A self-signed serving certificate for the API when it listens off loopback: kubectl sends a bearer
 * token only over TLS, so a token without TLS would never reach the server. The certificate names the
 * bind address, this host, localhost and 127.0.0.1; the kubeconfig carries it as the CA.
 */
export async function selfSignedServingCert(host: string): Promise<ServingCert> {
  const names = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  if (isIP(host) !== 0) ips.add(host);
  else names.add(host);
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'weir-api' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...names].map((value) => ({ type: 2 as const, value })),
          ...[...ips].map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
