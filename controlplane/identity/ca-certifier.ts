import type { Authority } from './authority.js';
import { CertifyError, type Certifier, type CertifyRequest, type CertifyResponse } from './certifier.js';
import { DEFAULT_LEAF_LIFETIME_MS, issueLeaf } from './issue-leaf.js';
import { identityName, parseIdentityName } from './names.js';
import type { TokenReviewer } from './token-reviewer.js';
import { x509, type EcKeyAlgorithm } from './x509.js';

export interface CaCertifierOptions {
  authority: Authority;
  tokens: TokenReviewer;
  /** how long a leaf lasts: 24 h by default, as Linkerd's issuanceLifetime; down to seconds for tests */
  leafLifetimeMs?: number;
  now?: () => number;
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

/**
 * The identity CA, as Linkerd's identity service: a request is refused unless its CSR is well signed by an
 * ECDSA P-256 key and asks for the requested identity and nothing else (invalid-argument), and its token
 * proves the very workload that identity names (unauthenticated). Then the issuer signs a leaf for the CSR's key.
 */
export class CaCertifier implements Certifier {
  private readonly leafLifetimeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CaCertifierOptions) {
    this.leafLifetimeMs = options.leafLifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
    if (!(this.leafLifetimeMs >= 1000)) throw new Error('identity: the leaf lifetime must be at least 1 s');
    this.now = options.now ?? Date.now;
  }

  async certify(req: CertifyRequest): Promise<CertifyResponse> {
    const requested = parseIdentityName(req.identity);
    if (!requested)
      throw new CertifyError(
        'invalid-argument',
        `identity ${JSON.stringify(req.identity)} is not of the form <serviceaccount>.<namespace>.serviceaccount.identity.weir.cluster.local`,
      );
    const csr = await checkCsr(req.csr, req.identity);

    if (!req.token) throw new CertifyError('unauthenticated', 'no token');
    const proven = await this.options.tokens.review(req.token);
    if (!proven) throw new CertifyError('unauthenticated', 'the token proves no workload');
    const provenName = identityName(proven);
    if (provenName !== req.identity)
      throw new CertifyError(
        'unauthenticated',
        `requested identity does not match the token's: requested=${req.identity}; token=${provenName}`,
      );

    const { authority } = this.options;
    const leaf = await issueLeaf(authority, {
      identity: req.identity,
      workload: requested,
      publicKey: csr.publicKey,
      now: this.now(),
      lifetimeMs: this.leafLifetimeMs,
    });
    return {
      leafCertificate: Buffer.from(leaf.rawData),
      intermediateCertificates: [Buffer.from(authority.issuer.rawData)],
      validUntilMs: leaf.notAfter.getTime(),
    };
  }
}

/** the CSR, once it is known to be well signed and to ask for `identity` only */
async function checkCsr(der: Buffer, identity: string): Promise<x509.Pkcs10CertificateRequest> {
  const bad = (message: string) => new CertifyError('invalid-argument', `CSR: ${message}`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw bad(`not a DER PKCS#10 request (${(err as Error).message})`);
  }
  const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256')
    throw bad(`an ECDSA P-256 key is required, got ${[alg.name, alg.namedCurve].filter(Boolean).join(' ')}`);
  if (!(await csr.verify().catch(() => false))) throw bad('its signature does not verify');

  for (const rdn of csr.subjectName.toJSON())
    for (const [type, values] of Object.entries(rdn))
      if (type !== 'CN' || values.some((v) => v !== identity))
        throw bad(`subject ${csr.subject} asks for more than CN=${identity}`);
  for (const attr of csr.attributes)
    if (attr.type !== EXTENSION_REQUEST) throw bad(`attribute ${attr.type} is not accepted`);
  for (const ext of csr.extensions)
    if (ext.type !== SUBJECT_ALT_NAME) throw bad(`extension ${ext.type} is not accepted (only subjectAltName)`);

  let names: readonly x509.GeneralName[];
  try {
    const san = csr.getExtension(SUBJECT_ALT_NAME);
    names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  } catch (err) {
    throw bad(`unreadable subjectAltName (${(err as Error).message})`);
  }
  const asked = names.map((n) => `${n.type}:${n.value}`);
  if (asked.length !== 1 || names[0]!.type !== 'dns' || names[0]!.value !== identity)
    throw bad(`subjectAltName must be exactly dns:${identity}, got ${asked.join(', ') || 'none'}`);
  return csr;
}
