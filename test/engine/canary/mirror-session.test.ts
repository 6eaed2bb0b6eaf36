import { describe, expect, it } from 'vitest';
import {
  cookieMatchRegex,
  expireCookieValue,
  rotateSessionCookies,
  setCookieValue,
} from '../../../engine/canary/index.js';
import { sessionAffinity } from '../../../engine/resources/index.js';
import { makeCanary, World } from './harness.js';

function initialized(analysis: Record<string, unknown> = {}): World {
  const w = new World(makeCanary(analysis));
  w.initialize();
  w.events = [];
  return w;
}

describe('scheduler: canary with mirror: true', () => {
  it('mirrors for one step at weight 0, then walks the weights without mirroring', () => {
    const w = initialized({ mirror: true });
    w.newRevision();
    const seen: [string | undefined, number, number, boolean][] = [];
    for (let i = 0; i < 9; i++) {
      w.tick();
      seen.push([w.status.phase, w.routes!.primary, w.routes!.canary, w.routes!.mirrored === true]);
    }
    expect(seen).toEqual([
      ['Progressing', 100, 0, false],
      ['Progressing', 100, 0, true], // pre-rollout hooks, then the mirrored step
      ['Progressing', 90, 10, false], // analysed while mirrored, first weight
      ['Progressing', 80, 20, false],
      ['Progressing', 70, 30, false],
      ['Progressing', 60, 40, false],
      ['Progressing', 50, 50, false],
      ['Promoting', 50, 50, false],
      ['Finalising', 100, 0, false],
    ]);
    expect(w.messages().filter((m) => m.startsWith('Starting canary analysis'))).toHaveLength(1);
    expect(w.messages()).toContain('Advance podinfo.test canary weight 0');
    expect(w.messages()).toContain('Advance podinfo.test canary weight 10');
    // metrics were asked on the tick after the mirrored step (mirrored traffic is analysed)
    expect(w.metricQueries).toBe(6);
  });

  it('asks confirm-traffic-increase before the mirrored step, not between mirroring and the first weight', () => {
    const w = initialized({
      mirror: true,
      webhooks: [{ name: 'traffic', type: 'confirm-traffic-increase', url: 'http://gate/' }],
    });
    w.hooks['confirm-traffic-increase'] = [{ name: 'traffic', ok: true }];
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.routes).toEqual({ primary: 100, canary: 0, mirrored: true });
    w.hooks['confirm-traffic-increase'] = [{ name: 'traffic', ok: false }];
    w.tick();
    expect(w.routes).toEqual({ primary: 90, canary: 10 });
    w.tick();
    expect(w.routes).toEqual({ primary: 90, canary: 10 });
  });

  it('a rollback during the mirrored step stops mirroring', () => {
    const w = initialized({ mirror: true, threshold: 1 });
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.routes?.mirrored).toBe(true);
    w.metrics = () => [{ name: 'request-success-rate', value: 10, provider: 'mesh' }];
    w.tick();
    w.tick();
    expect(w.status.phase).toBe('Failed');
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
  });
});

describe('session affinity: pure parts', () => {
  const affinity = sessionAffinity.parse({ cookieName: 'canary-flagger', primaryCookieName: 'primary-flagger' });

  it('hands out the run cookies when the canary gets weight and rotates them when it is back to 0', () => {
    const tokens = { canary: 'c123', primary: 'p456' };
    let s = rotateSessionCookies(
      { phase: 'Progressing', failedChecks: 0, canaryWeight: 0, iterations: 0 },
      affinity,
      10,
      tokens,
    );
    expect(s).toMatchObject({
      sessionAffinityCookie: 'canary-flagger=c123',
      primarySessionAffinityCookie: 'primary-flagger=p456',
    });
    // kept for the whole run
    s = rotateSessionCookies(s, affinity, 20, { canary: 'other', primary: 'other' });
    expect(s.sessionAffinityCookie).toBe('canary-flagger=c123');
    s = rotateSessionCookies(s, affinity, 0, tokens);
    expect(s.sessionAffinityCookie).toBeUndefined();
    expect(s.primarySessionAffinityCookie).toBeUndefined();
    expect(s.previousSessionAffinityCookie).toBe('canary-flagger=c123');
    // the next run gets a new cookie, the previous one stays until it rotates again
    s = rotateSessionCookies(s, affinity, 10, { canary: 'n789', primary: 'q000' });
    expect(s).toMatchObject({
      sessionAffinityCookie: 'canary-flagger=n789',
      previousSessionAffinityCookie: 'canary-flagger=c123',
    });
  });

  it('writes Set-Cookie values with Max-Age and the configured attributes', () => {
    expect(setCookieValue('c=v', 86400, sessionAffinity.parse({ cookieName: 'c' }))).toBe('c=v; Max-Age=86400');
    const all = sessionAffinity.parse({
      cookieName: 'c',
      maxAge: 60,
      domain: 'example.com',
      httpOnly: true,
      partitioned: true,
      path: '/app',
      sameSite: 'Lax',
      secure: true,
    });
    expect(setCookieValue('c=v', 60, all)).toBe(
      'c=v; Max-Age=60; Domain=example.com; HttpOnly; Partitioned; Path=/app; SameSite=Lax; Secure',
    );
    expect(expireCookieValue('c=v', all)).toBe('c=v; Max-Age=-1; Domain=example.com; Path=/app');
  });

  it('matches the cookie among others in a Cookie header, and nothing else', () => {
    const re = new RegExp(`^${cookieMatchRegex('canary.x=abc')}$`);
    expect(re.test('canary.x=abc')).toBe(true);
    expect(re.test('theme=dark; canary.x=abc; lang=en')).toBe(true);
    expect(re.test('canaryXx=abc')).toBe(false);
    expect(re.test('canary.x=abd')).toBe(false);
  });
});

describe('scheduler: session affinity', () => {
  it('the setRoutes actions carry the run cookie while the canary has weight, then the previous one', () => {
    const w = initialized({ sessionAffinity: { cookieName: 'flagger-cookie' } });
    w.newRevision();
    w.tick(); // Progressing
    w.tick(); // weight 10
    const cookie = w.status.sessionAffinityCookie;
    expect(cookie).toMatch(/^flagger-cookie=\w+$/);
    expect(w.cookies).toEqual({ canary: cookie });
    w.tick(); // 20: same cookie
    expect(w.status.sessionAffinityCookie).toBe(cookie);
    w.runUntil('Finalising');
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.status.sessionAffinityCookie).toBeUndefined();
    expect(w.status.previousSessionAffinityCookie).toBe(cookie);
    expect(w.cookies).toEqual({ previous: cookie });
    w.tick();
    expect(w.status.phase).toBe('Succeeded');
    expect(w.status.previousSessionAffinityCookie).toBe(cookie);
  });

  it('uses the random tokens the controller passes, else derives distinct values', () => {
    const w = initialized({ sessionAffinity: { cookieName: 'c', primaryCookieName: 'p' } });
    w.newRevision();
    w.tick();
    w.sessionTokens = { canary: 'RANDOM1', primary: 'RANDOM2' };
    w.tick();
    expect(w.status).toMatchObject({ sessionAffinityCookie: 'c=RANDOM1', primarySessionAffinityCookie: 'p=RANDOM2' });
    expect(w.cookies).toEqual({ canary: 'c=RANDOM1', primary: 'p=RANDOM2' });

    const d = initialized({ sessionAffinity: { cookieName: 'c', primaryCookieName: 'p' } });
    d.newRevision();
    d.tick();
    d.tick();
    expect(d.status.sessionAffinityCookie).toMatch(/^c=[a-z0-9]{8,}$/);
    expect(d.status.primarySessionAffinityCookie).toMatch(/^p=[a-z0-9]{8,}$/);
    expect(d.status.sessionAffinityCookie!.slice(2)).not.toBe(d.status.primarySessionAffinityCookie!.slice(2));
  });

  it('A/B testing ignores session affinity (its match rules already pin users)', () => {
    const w = initialized({
      stepWeight: undefined,
      maxWeight: undefined,
      iterations: 2,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      sessionAffinity: { cookieName: 'c' },
    });
    w.newRevision();
    w.tick();
    w.tick();
    expect(w.routes?.canary).toBe(100);
    expect(w.cookies).toBeUndefined();
    expect(w.status.sessionAffinityCookie).toBeUndefined();
  });
});
