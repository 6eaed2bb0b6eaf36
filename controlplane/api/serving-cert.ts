import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { selfSignedCert } from '../tls/self-signed.js';

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
  return selfSignedCert({ commonName: 'weir-api', dnsNames: [...names], ips: [...ips], years: 1 });
}
