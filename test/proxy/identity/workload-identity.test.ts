import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trustAnchorsPem, type Authority } from '../../../controlplane/identity/authority.js';
import { loadOrCreateAuthority } from '../../../controlplane/identity/authority-store.js';
import { CaCertifier } from '../../../controlplane/identity/ca-certifier.js';
import { LocalTokens } from '../../../controlplane/identity/local-tokens.js';
import { identityName } from '../../../controlplane/identity/names.js';
import type { CertifyRequest, CertifyResponse, TlsMaterial } from '../../../proxy/identity/types.js';
import { WorkloadIdentity, type WorkloadIdentityOptions } from '../../../proxy/identity/workload-identity.js';
import { FakeClock } from './fake-clock.js';

const web = { namespace: 'shop', serviceAccount: 'web' };
const identity = identityName(web);
const LIFETIME = 100_000;
const MIN_REFRESH = 1_000;

let dir: string;
let authority: Authority;
let otherAuthority: Authority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-workload-identity-'));
  authority = await loadOrCreateAuthority(join(dir, 'ours'));
  otherAuthority = await loadOrCreateAuthority(join(dir, 'theirs'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open: WorkloadIdentity[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});

/** a sidecar's identity against a real CaCertifier, on a fake clock; events are awaited one by one */
function setup(
  certifyVia?: (req: CertifyRequest, ca: CaCertifier) => Promise<CertifyResponse>,
  over: Partial<WorkloadIdentityOptions> = {},
) {
  const clock = new FakeClock();
  const tokens = new LocalTokens();
  const token = tokens.issue(web);
  const ca = new CaCertifier({ authority, tokens, leafLifetimeMs: LIFETIME, now: clock.now });
  const requests: CertifyRequest[] = [];
  const events: Array<TlsMaterial | Error> = [];
  let wake: (() => void) | undefined;
  const push = (e: TlsMaterial | Error) => {
    events.push(e);
    wake?.();
  };
  const wid = new WorkloadIdentity({
    identity,
    trustAnchorsPem: trustAnchorsPem(authority),
    token: () => token,
    certify: (req) => {
      requests.push(req);
      return certifyVia ? certifyVia(req, ca) : ca.certify(req);
    },
    minRefreshMs: MIN_REFRESH,
    onError: push,
    now: clock.now,
    timers: clock,
    ...over,
  });
  wid.onUpdate(push);
  open.push(wid);
  /** the next update or error (each try ends in one of them) */
  const next = async (): Promise<TlsMaterial | Error> => {
    while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return events.shift()!;
  };
  const nextMaterial = async () => {
    const e = await next();
    if (e instanceof Error) throw e;
    return e;
  };
  const nextError = async () => {
    const e = await next();
    if (!(e instanceof Error)) throw new Error('expected a failed try, got a certificate');
    return e;
  };
  return { clock, wid, requests, nextMaterial, nextError, tokens, ca };
}

describe('WorkloadIdentity', () => {
  it('gets its first certificate: a chain to the trust anchor naming its identity, for a key of its own', async () => {
    const { wid, requests, nextMaterial } = setup();
    wid.start();
    const m = await wid.ready();
    expect(await nextMaterial()).toBe(m);
    expect(wid.current()).toBe(m);
    expect(m.identity).toBe(identity);
    expect(m.trustAnchorsPem).toBe(trustAnchorsPem(authority));

    const [leaf, issuer] = (
      m.certChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    ).map((p) => new X509Certificate(p));
    expect(leaf!.subjectAltName).toContain(`DNS:${identity}`);
    expect(leaf!.verify(issuer!.publicKey)).toBe(true);
    expect(m.notAfter).toBe(new Date(leaf!.validTo).getTime());
    expect(m.keyPem).toContain('BEGIN PRIVATE KEY');

    // the request carries the identity, the token and a CSR; never the key
    expect(requests).toHaveLength(1);
    expect(Object.keys(requests[0]!).sort()).toEqual(['csr', 'identity', 'token']);
    expect(JSON.stringify(requests[0])).not.toContain('PRIVATE KEY');
  });

  it('renews at 70 % of the remaining lifetime, with the same key and CSR', async () => {
    const { clock, wid, requests, nextMaterial } = setup();
    wid.start();
    const first = await nextMaterial();
    const due = Math.floor(((first.notAfter - clock.t) * 7) / 10);
    expect(clock.delays()).toEqual([due]);

    clock.advance(due - 1);
    expect(clock.delays()).toEqual([due]); // not yet fired
    clock.advance(1);
    expect(clock.delays()).toEqual([]); // fired: renewing
    const second = await nextMaterial();
    expect(requests).toHaveLength(2);
    expect(wid.current()).toBe(second);
    expect(second.notAfter).toBeGreaterThan(first.notAfter);
    expect(second.certChainPem).not.toBe(first.certChainPem);
    expect(second.keyPem).toBe(first.keyPem);
    expect(requests[1]!.csr.equals(requests[0]!.csr)).toBe(true);
    expect(clock.delays()).toEqual([Math.floor(((second.notAfter - clock.t) * 7) / 10)]);
  });

  it('keeps the certificate in use when a renewal fails, retries with backoff, and takes the next one', async () => {
    let failing = false;
    const { clock, wid, nextMaterial, nextError, requests } = setup((req, ca) =>
      failing ? Promise.reject(new Error('control plane unreachable')) : ca.certify(req),
    );
    wid.start();
    const first = await nextMaterial();
    failing = true;
    clock.advance(clock.delays()[0]!);
    expect((await nextError()).message).toBe(
      `identity: certification of ${identity} failed: control plane unreachable`,
    );
    expect(wid.current()).toBe(first);
    expect(clock.delays()).toEqual([MIN_REFRESH]);
    clock.advance(MIN_REFRESH);
    await nextError();
    expect(clock.delays()).toEqual([2 * MIN_REFRESH]);
    expect(wid.current()).toBe(first);

    failing = false;
    clock.advance(2 * MIN_REFRESH);
    const renewed = await nextMaterial();
    expect(wid.current()).toBe(renewed);
    expect(requests).toHaveLength(4);
    expect(clock.delays()).toEqual([Math.floor(((renewed.notAfter - clock.t) * 7) / 10)]);
  });

  it('stops offering a certificate once it has expired and renewal still fails', async () => {
    let failing = false;
    const { clock, wid, nextMaterial, nextError } = setup(
      (req, ca) => (failing ? Promise.reject(new Error('down')) : ca.certify(req)),
      { maxRetryMs: 10_000 },
    );
    wid.start();
    const first = await nextMaterial();
    failing = true;
    while (clock.t < first.notAfter) {
      clock.advance(clock.delays()[0]!);
      await nextError();
    }
    expect(wid.current()).toBeUndefined();
  });

  it('refuses a chain that does not verify to the trust anchor it started with', async () => {
    const { wid, nextError, clock } = setup((req) => {
      // a control plane with another CA: its own issuer, a valid token of its own
      const tokens = new LocalTokens();
      return new CaCertifier({ authority: otherAuthority, tokens, now: clock.now }).certify({
        ...req,
        token: tokens.issue(web),
      });
    });
    let ready = false;
    void wid.ready().then(
      () => (ready = true),
      () => {},
    );
    wid.start();
    expect((await nextError()).message).toMatch(/the chain does not verify to the trust anchors/);
    expect(wid.current()).toBeUndefined();
    expect(ready).toBe(false);
    expect(clock.delays()).toEqual([MIN_REFRESH]);
  });

  it('refuses a leaf that names another identity, or that is not for its key', async () => {
    const other = { namespace: 'shop', serviceAccount: 'db' };
    const named = setup((req, ca) =>
      ca.certify({ identity: identityName(other), token: named.tokens.issue(other), csr: otherCsr }),
    );
    const { createKeyAndCsr } = await import('../../../proxy/identity/csr.js');
    const otherCsr = (await createKeyAndCsr(identityName(other))).csr;
    named.wid.start();
    expect((await named.nextError()).message).toMatch(/the leaf names DNS:db\.shop\..*, not web\.shop\./);

    const sameNameOtherKey = (await createKeyAndCsr(identity)).csr;
    const keyed = setup((req, ca) => ca.certify({ ...req, csr: sameNameOtherKey }));
    keyed.wid.start();
    expect((await keyed.nextError()).message).toMatch(/the leaf is not the certificate of our key/);
  });

  it('counts a Certify call that does not answer in time as failed', async () => {
    const { wid, clock, nextError } = setup(() => new Promise<CertifyResponse>(() => {}), { certifyTimeoutMs: 5_000 });
    wid.start();
    // the key and CSR are made first (real crypto); the call is then pending behind its timeout
    await expect.poll(() => clock.delays(), { timeout: 10_000 }).toEqual([5_000]);
    clock.advance(5_000);
    expect((await nextError()).message).toMatch(/no answer within 5000 ms/);
    expect(clock.delays()).toEqual([MIN_REFRESH]);
  });

  it('close() stops its timers, and ready() rejects when closed before a certificate', async () => {
    const { wid, clock, nextMaterial } = setup();
    wid.start();
    await nextMaterial();
    expect(clock.delays()).toHaveLength(1);
    wid.close();
    expect(clock.delays()).toEqual([]);

    const never = setup(() => new Promise<CertifyResponse>(() => {}));
    never.wid.start();
    never.wid.close();
    await expect(never.wid.ready()).rejects.toThrow(/closed before a certificate/);
  });
});

describe('the proxy loads @peculiar/x509 only when identity is on', () => {
  it('importing the proxy and WorkloadIdentity loads nothing of it; making the CSR does', async () => {
    // @peculiar/x509 imports reflect-metadata, which installs Reflect.getMetadata: a sign it was loaded
    const script = `
      const seen = () => typeof Reflect.getMetadata;
      await import('./proxy/index.ts');
      await import('./proxy/identity/workload-identity.ts');
      const atImport = seen();
      const { createKeyAndCsr } = await import('./proxy/identity/csr.ts');
      await createKeyAndCsr('web.shop.serviceaccount.identity.weir.cluster.local');
      console.log(JSON.stringify({ atImport, afterCsr: seen() }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: join(import.meta.dirname, '../../..'), timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ atImport: 'undefined', afterCsr: 'function' });
  });
});
