import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createIssuer,
  createTrustAnchor,
  ISSUER_NAME,
  TRUST_ANCHOR_NAME,
} from '../../../controlplane/identity/authority.js';
import {
  AUTHORITY_FILES,
  loadAuthority,
  loadOrCreateAuthority,
} from '../../../controlplane/identity/authority-store.js';
import { AuthorityError } from '../../../controlplane/identity/validate-authority.js';
import { privateKeyToPem, x509 } from '../../../controlplane/identity/x509.js';

const DAY = 24 * 3600 * 1000;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fingerprint = (c: x509.X509Certificate) => new X509Certificate(Buffer.from(c.rawData)).fingerprint256;

describe('the authority kept in the state directory', () => {
  it('is generated on the first start and reloaded, with the same trust anchor and issuer, on the next', async () => {
    const state = join(dir, 'identity');
    const first = await loadOrCreateAuthority(state);
    expect(first.trustAnchors).toHaveLength(1);
    expect(first.trustAnchors[0]!.subject).toBe(TRUST_ANCHOR_NAME);
    expect(first.issuer.subject).toBe(ISSUER_NAME);
    for (const name of Object.values(AUTHORITY_FILES))
      expect((await stat(join(state, name))).mode & 0o777, name).toBe(0o600);

    const second = await loadOrCreateAuthority(state);
    expect(fingerprint(second.trustAnchors[0]!)).toBe(fingerprint(first.trustAnchors[0]!));
    expect(fingerprint(second.issuer)).toBe(fingerprint(first.issuer));

    // the issuer is an intermediate signed by the anchor, and node:crypto agrees
    const anchor = new X509Certificate(Buffer.from(first.trustAnchors[0]!.rawData));
    const issuer = new X509Certificate(Buffer.from(first.issuer.rawData));
    expect(anchor.ca && issuer.ca).toBe(true);
    expect(issuer.checkIssued(anchor)).toBe(true);
    expect(issuer.verify(anchor.publicKey)).toBe(true);
  });

  it('replaces an expired issuer with a new one under the same trust anchor', async () => {
    const state = join(dir, 'identity');
    const now = Date.now();
    const first = await loadOrCreateAuthority(state, { now, issuerLifetimeMs: DAY });
    const later = await loadOrCreateAuthority(state, { now: now + 2 * DAY });
    expect(fingerprint(later.trustAnchors[0]!)).toBe(fingerprint(first.trustAnchors[0]!));
    expect(fingerprint(later.issuer)).not.toBe(fingerprint(first.issuer));
    expect(later.issuer.notAfter.getTime()).toBeGreaterThan(now + 2 * DAY);
  });

  it('refuses a trust anchor whose key is missing, naming the file', async () => {
    const state = join(dir, 'identity');
    await loadOrCreateAuthority(state);
    await rm(join(state, AUTHORITY_FILES.trustAnchorKey));
    await expect(loadOrCreateAuthority(state)).rejects.toThrow(
      `${join(state, AUTHORITY_FILES.trustAnchorKey)}: missing while its certificate`,
    );
  });
});

/** PEM files of an authority made in the test, written where loadAuthority reads them */
async function userFiles(
  parts: { anchor?: string; issuer?: string; key?: string } = {},
): Promise<{ trustAnchor: string; issuerCert: string; issuerKey: string }> {
  const now = Date.now();
  const anchor = await createTrustAnchor(now);
  const issuer = await createIssuer(anchor.cert, anchor.keys.privateKey, now);
  const paths = {
    trustAnchor: join(dir, 'ca.crt'),
    issuerCert: join(dir, 'issuer.crt'),
    issuerKey: join(dir, 'issuer.key'),
  };
  await writeFile(paths.trustAnchor, parts.anchor ?? anchor.cert.toString('pem'));
  await writeFile(paths.issuerCert, parts.issuer ?? issuer.cert.toString('pem'));
  await writeFile(paths.issuerKey, parts.key ?? (await privateKeyToPem(issuer.keys.privateKey)));
  return paths;
}

async function rejection(p: Promise<unknown>): Promise<AuthorityError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthorityError);
  return err as AuthorityError;
}

describe('an authority supplied by the user', () => {
  it('is accepted when the issuer is signed by the anchor and the key matches', async () => {
    const paths = await userFiles();
    const authority = await loadAuthority(paths);
    expect(authority.issuer.subject).toBe(ISSUER_NAME);
    expect(authority.trustAnchors[0]!.toString('pem')).toBe((await readFile(paths.trustAnchor, 'utf8')).trim());
  });

  it('accepts a SEC1 "EC PRIVATE KEY" issuer key, as openssl and step write them', async () => {
    const now = Date.now();
    const anchor = await createTrustAnchor(now);
    const issuer = await createIssuer(anchor.cert, anchor.keys.privateKey, now);
    const { createPrivateKey } = await import('node:crypto');
    const sec1 = createPrivateKey(await privateKeyToPem(issuer.keys.privateKey))
      .export({ format: 'pem', type: 'sec1' })
      .toString();
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    const paths = await userFiles({
      anchor: anchor.cert.toString('pem'),
      issuer: issuer.cert.toString('pem'),
      key: sec1,
    });
    await expect(loadAuthority(paths)).resolves.toBeDefined();
  });

  it('accepts a bundle of trust anchors (a rotation) when the issuer is signed by one of them', async () => {
    const now = Date.now();
    const [oldAnchor, newAnchor] = [await createTrustAnchor(now), await createTrustAnchor(now)];
    const issuer = await createIssuer(newAnchor.cert, newAnchor.keys.privateKey, now);
    const paths = await userFiles({
      anchor: oldAnchor.cert.toString('pem') + '\n' + newAnchor.cert.toString('pem'),
      issuer: issuer.cert.toString('pem'),
      key: await privateKeyToPem(issuer.keys.privateKey),
    });
    const authority = await loadAuthority(paths);
    expect(authority.trustAnchors.map(fingerprint)).toEqual([fingerprint(oldAnchor.cert), fingerprint(newAnchor.cert)]);
  });

  it('refuses a missing file, naming it', async () => {
    const paths = await userFiles();
    const err = await rejection(loadAuthority({ ...paths, issuerKey: join(dir, 'nope.key') }));
    expect(err.message).toBe(`${join(dir, 'nope.key')}: cannot be read (ENOENT)`);
  });

  it('refuses a trust anchor file that holds no certificate', async () => {
    const paths = await userFiles({ anchor: 'hello\n' });
    const err = await rejection(loadAuthority(paths));
    expect(err.file).toBe(paths.trustAnchor);
    expect(err.message).toMatch(/ca\.crt: no PEM certificate found/);
  });

  it('refuses a certificate whose PEM body is garbage', async () => {
    const paths = await userFiles({ issuer: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' });
    const err = await rejection(loadAuthority(paths));
    expect(err.message).toMatch(/issuer\.crt: not a valid PEM certificate/);
  });

  it('refuses a trust anchor or issuer that is not a CA', async () => {
    const now = Date.now();
    const keys = await (await import('../../../controlplane/identity/x509.js')).generateKeyPair();
    const notCa = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=not-a-ca',
      notBefore: new Date(now - 1000),
      notAfter: new Date(now + DAY),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    const paths = await userFiles({ anchor: notCa.toString('pem') });
    const err = await rejection(loadAuthority(paths));
    expect(err.message).toBe(
      `${paths.trustAnchor}: CN=not-a-ca is not a CA certificate (basicConstraints CA:TRUE is missing)`,
    );

    const asIssuer = await userFiles({ issuer: notCa.toString('pem') });
    expect((await rejection(loadAuthority(asIssuer))).file).toBe(asIssuer.issuerCert);
  });

  it('refuses an issuer signed by another trust anchor', async () => {
    const now = Date.now();
    const other = await createTrustAnchor(now);
    const paths = await userFiles({ anchor: other.cert.toString('pem') });
    const err = await rejection(loadAuthority(paths));
    expect(err.file).toBe(paths.issuerCert);
    expect(err.message).toContain(`is not signed by the trust anchor in ${paths.trustAnchor}`);
  });

  it('refuses an issuer key that does not match the issuer certificate', async () => {
    const now = Date.now();
    const anchor = await createTrustAnchor(now);
    const unrelated = await createIssuer(anchor.cert, anchor.keys.privateKey, now);
    const paths = await userFiles({ key: await privateKeyToPem(unrelated.keys.privateKey) });
    const err = await rejection(loadAuthority(paths));
    expect(err.message).toBe(
      `${paths.issuerKey}: the private key does not match the issuer certificate in ${paths.issuerCert}`,
    );
  });

  it('refuses an issuer key that is not ECDSA P-256, or not a key at all', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    const paths = await userFiles({ key: rsa.toString() });
    expect((await rejection(loadAuthority(paths))).message).toBe(
      `${paths.issuerKey}: an ECDSA P-256 key is required, got rsa`,
    );
    const garbage = await userFiles({ key: 'not a key' });
    expect((await rejection(loadAuthority(garbage))).message).toBe(`${garbage.issuerKey}: not a PEM private key`);
  });

  it('refuses an expired issuer', async () => {
    const past = Date.now() - 10 * DAY;
    const anchor = await createTrustAnchor(past);
    const issuer = await createIssuer(anchor.cert, anchor.keys.privateKey, past, DAY);
    const paths = await userFiles({
      anchor: anchor.cert.toString('pem'),
      issuer: issuer.cert.toString('pem'),
      key: await privateKeyToPem(issuer.keys.privateKey),
    });
    const err = await rejection(loadAuthority(paths));
    expect(err.file).toBe(paths.issuerCert);
    expect(err.message).toMatch(/CN=identity\.weir\.cluster\.local expired on \d{4}-/);
  });
});
