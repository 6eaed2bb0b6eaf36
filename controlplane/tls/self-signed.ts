import selfsigned from 'selfsigned';

export interface SelfSignedOptions {
  commonName: string;
  /** DNS subject alternative names */
  dnsNames: string[];
  /** IP subject alternative names */
  ips?: string[];
  /** validity from now, in years */
  years: number;
}

export interface SelfSignedPem {
  cert: string;
  key: string;
}

/**
 * A self-signed P-256 serving certificate (its own CA: clients trust it by carrying it, as a kubeconfig's
 * `certificate-authority-data` or a webhook's `caBundle` does). Used by the API off loopback and by the
 * injector's admission webhook.
 */
export async function selfSignedCert(options: SelfSignedOptions): Promise<SelfSignedPem> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + options.years);
  const pems = await selfsigned.generate([{ name: 'commonName', value: options.commonName }], {
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
          ...options.dnsNames.map((value) => ({ type: 2 as const, value })),
          ...(options.ips ?? []).map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
