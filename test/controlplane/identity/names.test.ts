import { describe, expect, it } from 'vitest';
import { identityName, parseIdentityName, parseSpiffeId, spiffeId } from '../../../controlplane/identity/names.js';

describe('identity names', () => {
  const w = { namespace: 'test', serviceAccount: 'podinfo' };

  it('names a workload as Linkerd does, with weir as the control-plane namespace', () => {
    expect(identityName(w)).toBe('podinfo.test.serviceaccount.identity.weir.cluster.local');
    expect(spiffeId(w)).toBe('spiffe://cluster.local/ns/test/sa/podinfo');
  });

  it('parses back what it builds', () => {
    expect(parseIdentityName(identityName(w))).toEqual(w);
    expect(parseSpiffeId(spiffeId(w))).toEqual(w);
  });

  it('refuses names that are not ours or not well formed', () => {
    expect(parseIdentityName('podinfo.test.serviceaccount.identity.linkerd.cluster.local')).toBeUndefined();
    expect(parseIdentityName('a.b.test.serviceaccount.identity.weir.cluster.local')).toBeUndefined();
    expect(parseIdentityName('.test.serviceaccount.identity.weir.cluster.local')).toBeUndefined();
    expect(parseIdentityName('Pod.test.serviceaccount.identity.weir.cluster.local')).toBeUndefined();
    expect(parseSpiffeId('spiffe://example.org/ns/test/sa/podinfo')).toBeUndefined();
    expect(parseSpiffeId('spiffe://cluster.local/ns/test/sa/pod/info')).toBeUndefined();
    expect(() => identityName({ namespace: 'test', serviceAccount: 'a.b' })).toThrow(/must be DNS labels/);
  });
});
