import { describe, expect, it } from 'vitest';
import { CompiledCors } from '../../../engine/routing/index.js';

/** header lines `[name, value, ...]` as an object, for readable expectations */
const asObject = (lines: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i += 2) out[lines[i]!] = lines[i + 1]!;
  return out;
};

describe('CORS filter (Gateway API HTTPCORSFilter, cases of the HTTPRouteCORS conformance test)', () => {
  const cors = new CompiledCors({
    allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
    allowMethods: ['GET', 'OPTIONS'],
    allowHeaders: ['x-header-1', 'x-header-2'],
    exposeHeaders: ['x-header-3', 'x-header-4'],
    allowCredentials: true,
    maxAge: 3600,
  });

  it('allows exact origins (any case) and * wildcards that span dots, nothing else', () => {
    expect(cors.allows('https://www.foo.com')).toBe(true);
    expect(cors.allows('HTTPS://WWW.FOO.COM')).toBe(true);
    expect(cors.allows('https://www.bar.com')).toBe(true);
    expect(cors.allows('https://xpto.www.bar.com')).toBe(true);
    expect(cors.allows('https://foobar.com')).toBe(false);
    expect(cors.allows('https://bar.com')).toBe(false);
    expect(cors.allows('http://www.foo.com')).toBe(false);
    expect(cors.allows('https://www.bar.com.evil.io')).toBe(false);
  });

  it('a preflight from an allowed origin gets the whole policy; from another origin only Vary', () => {
    expect(asObject(cors.preflight('https://www.bar.com', 'GET', 'x-header-1'))).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://www.bar.com',
      'access-control-allow-methods': 'GET, OPTIONS',
      'access-control-allow-headers': 'x-header-1, x-header-2',
      'access-control-expose-headers': 'x-header-3, x-header-4',
      'access-control-max-age': '3600',
      'access-control-allow-credentials': 'true',
    });
    expect(asObject(cors.preflight('https://foobar.com', 'GET', undefined))).toEqual({ vary: 'Origin' });
  });

  it('other requests: origin echoed, credentials and exposed headers; nothing for another origin', () => {
    expect(asObject(cors.response('https://www.foo.com'))).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://www.foo.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-header-3, x-header-4',
    });
    expect(asObject(cors.response('https://foobar.com'))).toEqual({ vary: 'Origin' });
  });

  it('wildcard methods and headers: echoed when credentials are allowed, * otherwise', () => {
    const withCreds = new CompiledCors({
      allowOrigins: ['*'],
      allowMethods: ['*'],
      allowHeaders: ['*'],
      allowCredentials: true,
      maxAge: 5,
    });
    expect(asObject(withCreds.preflight('https://other.foo.com', 'PUT', 'x-header-1, x-header-2'))).toMatchObject({
      'access-control-allow-origin': 'https://other.foo.com',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-header-1, x-header-2',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '5',
    });
    const noCreds = new CompiledCors({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], maxAge: 5 });
    const p = asObject(noCreds.preflight('https://foobar.com:12345', 'POST', 'x-a'));
    expect(p).toMatchObject({
      'access-control-allow-origin': 'https://foobar.com:12345',
      'access-control-allow-methods': '*',
      'access-control-allow-headers': '*',
    });
    expect(p['access-control-allow-credentials']).toBeUndefined();
  });
});
