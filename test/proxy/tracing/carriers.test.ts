import { describe, expect, it } from 'vitest';
import { readHeaderObject, readRawHeader, writeHeaderObject, writeRawHeader } from '../../../proxy/tracing/carriers.js';

describe('flat name/value header arrays (HTTP/1.1 rawHeaders)', () => {
  const raw = ['Host', 'a.test', 'TraceParent', 'first', 'X-B3-SpanId', 'abc', 'traceparent', 'second'];

  it.each([
    ['traceparent', 'first'],
    ['x-b3-spanid', 'abc'],
    ['host', 'a.test'],
    ['b3', undefined],
    ['x-b3-spanic', undefined],
  ])('reads %s case-insensitively, the first of repeats', (name, expected) => {
    expect(readRawHeader(raw, name)).toBe(expected);
  });

  it('does not confuse names that differ only outside letters', () => {
    expect(readRawHeader(['x_b3_spanid', 'v'], 'x-b3-spanid')).toBeUndefined();
  });

  it('replaces a header in place, keeping its position and spelling, and drops repeats', () => {
    const headers = [...raw];
    writeRawHeader(headers, 'traceparent', 'new');
    expect(headers).toEqual(['Host', 'a.test', 'TraceParent', 'new', 'X-B3-SpanId', 'abc']);
  });

  it('appends a header that is absent', () => {
    const headers = ['Host', 'a.test'];
    writeRawHeader(headers, 'x-b3-parentspanid', 'p');
    expect(headers).toEqual(['Host', 'a.test', 'x-b3-parentspanid', 'p']);
  });
});

describe('header objects (HTTP/2, IncomingHttpHeaders)', () => {
  it('reads the first value of a header and ignores absent ones', () => {
    expect(readHeaderObject({ b3: ['one', 'two'] }, 'b3')).toBe('one');
    expect(readHeaderObject({ b3: 'one' }, 'b3')).toBe('one');
    expect(readHeaderObject({ ':status': 200 }, ':status')).toBeUndefined();
    expect(readHeaderObject({}, 'b3')).toBeUndefined();
  });

  it('replaces a value', () => {
    const headers: Record<string, string | string[]> = { traceparent: ['a', 'b'] };
    writeHeaderObject(headers, 'traceparent', 'c');
    expect(headers).toEqual({ traceparent: 'c' });
  });
});
