import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { createIssuer, createTrustAnchor, type Authority } from './authority.js';
import { AuthorityError, validateAuthority } from './validate-authority.js';
import { privateKeyFromPem, privateKeyToPem, x509, type CryptoKey } from './x509.js';

/** The files of a generated authority in its state directory (PEM, mode 0600, each written atomically). */
export const AUTHORITY_FILES = {
  trustAnchor: 'trust-anchor.crt',
  trustAnchorKey: 'trust-anchor.key',
  issuerCert: 'issuer.crt',
  issuerKey: 'issuer.key',
} as const;

/** Paths of an authority the user supplies (`--trust-anchor`, `--issuer-cert`, `--issuer-key`). */
export interface AuthorityPaths {
  trustAnchor: string;
  issuerCert: string;
  issuerKey: string;
}

/** Load and validate the user's authority; every error names the file at fault. */
export async function loadAuthority(paths: AuthorityPaths, now = Date.now()): Promise<Authority> {
  return validateAuthority(
    {
      trustAnchor: { file: paths.trustAnchor, pem: await readPem(paths.trustAnchor) },
      issuerCert: { file: paths.issuerCert, pem: await readPem(paths.issuerCert) },
      issuerKey: { file: paths.issuerKey, pem: await readPem(paths.issuerKey) },
    },
    now,
  );
}

export interface GeneratedAuthorityOptions {
  now?: number;
  trustAnchorLifetimeMs?: number;
  issuerLifetimeMs?: number;
}

/**
 * The authority kept in `dir`: made on the first start (a trust anchor, then an issuer signed by it), loaded
 * and validated on the next ones. The anchor's key is kept too, so that an issuer that has expired is replaced
 * by a new one under the same anchor, and proxies keep trusting what they trusted.
 */
export async function loadOrCreateAuthority(dir: string, options: GeneratedAuthorityOptions = {}): Promise<Authority> {
  const now = options.now ?? Date.now();
  const path = (name: keyof typeof AUTHORITY_FILES) => join(dir, AUTHORITY_FILES[name]);
  const anchorPem = await readIfExists(path('trustAnchor'));
  const anchorKeyPem = await readIfExists(path('trustAnchorKey'));

  if (anchorPem === undefined && anchorKeyPem === undefined) {
    const anchor = await createTrustAnchor(now, options.trustAnchorLifetimeMs);
    // the key first: a crash between the two writes leaves a key without a certificate, which is refused below
    await writeFileAtomic(path('trustAnchorKey'), await privateKeyToPem(anchor.keys.privateKey));
    await writeFileAtomic(path('trustAnchor'), anchor.cert.toString('pem') + '\n');
    return issueAndSave(anchor.cert.toString('pem'), anchor.keys.privateKey);
  }
  if (anchorPem === undefined)
    throw new AuthorityError(path('trustAnchor'), `missing while its key ${path('trustAnchorKey')} exists`);
  if (anchorKeyPem === undefined)
    throw new AuthorityError(path('trustAnchorKey'), `missing while its certificate ${path('trustAnchor')} exists`);

  const issuerPem = await readIfExists(path('issuerCert'));
  const issuerKeyPem = await readIfExists(path('issuerKey'));
  const files = {
    trustAnchor: { file: path('trustAnchor'), pem: anchorPem },
    issuerCert: { file: path('issuerCert'), pem: issuerPem ?? '' },
    issuerKey: { file: path('issuerKey'), pem: issuerKeyPem ?? '' },
  };
  if (issuerPem !== undefined && issuerKeyPem !== undefined) {
    try {
      return await validateAuthority(files, now);
    } catch (err) {
      // an issuer that has expired (or was half written) is replaced; a bad anchor is not
      if (!(err instanceof AuthorityError) || err.file === files.trustAnchor.file) throw err;
    }
  }
  let anchorKey: CryptoKey;
  try {
    anchorKey = await privateKeyFromPem(anchorKeyPem);
  } catch (err) {
    throw new AuthorityError(path('trustAnchorKey'), (err as Error).message);
  }
  return issueAndSave(anchorPem, anchorKey);

  async function issueAndSave(anchorCertPem: string, anchorKey: CryptoKey): Promise<Authority> {
    const anchorCert = new x509.X509Certificate(anchorCertPem);
    const issuer = await createIssuer(anchorCert, anchorKey, now, options.issuerLifetimeMs);
    const keyPem = await privateKeyToPem(issuer.keys.privateKey);
    await writeFileAtomic(path('issuerKey'), keyPem);
    await writeFileAtomic(path('issuerCert'), issuer.cert.toString('pem') + '\n');
    // validated like a user's, so that what is saved is what the next start will accept
    return validateAuthority(
      {
        trustAnchor: { file: path('trustAnchor'), pem: anchorCertPem },
        issuerCert: { file: path('issuerCert'), pem: issuer.cert.toString('pem') },
        issuerKey: { file: path('issuerKey'), pem: keyPem },
      },
      now,
    );
  }
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AuthorityError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuthorityError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
