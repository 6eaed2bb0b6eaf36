import { describe, expect, it } from 'vitest';
import { readHeaderObject, type HeaderObject } from '../../../proxy/tracing/carriers.js';
import {
  companionContexts,
  exportTraceId,
  extractSampled,
  formatB3Single,
  formatTraceparent,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  propagationHeaders,
  type TraceContext,
  type TraceFormat,
} from '../../../proxy/tracing/context.js';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TID64 = 'a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';
const PSID = '05e3ac9a4f6e3b90';
const ZERO_TID = '0'.repeat(32);
const ZERO_SID = '0'.repeat(16);

function ctx(format: TraceContext['format'], traceId: string, sampled: boolean, flags: number, debug = false) {
  return { format, traceId, parentSpanId: SID, sampled, debug, flags };
}

describe('W3C traceparent', () => {
  it.each<[string, string, TraceContext | undefined]>([
    ['sampled', `00-${TID}-${SID}-01`, ctx('w3c', TID, true, 1)],
    ['unsampled', `00-${TID}-${SID}-00`, ctx('w3c', TID, false, 0)],
    ['other flag bits are kept', `00-${TID}-${SID}-03`, ctx('w3c', TID, true, 3)],
    ['a sampled bit among other bits', `00-${TID}-${SID}-ff`, ctx('w3c', TID, true, 255)],
    ['a future version of exactly 55 characters', `01-${TID}-${SID}-01`, ctx('w3c', TID, true, 1)],
    ['a future version with more fields', `cc-${TID}-${SID}-01-what-the-future-holds`, ctx('w3c', TID, true, 1)],
    ['version ff is forbidden', `ff-${TID}-${SID}-01`, undefined],
    ['a version that is not hex', `0g-${TID}-${SID}-01`, undefined],
    ['version 00 with trailing data', `00-${TID}-${SID}-01-extra`, undefined],
    ['a future version followed by no dash', `01-${TID}-${SID}-01x`, undefined],
    ['an upper-case trace id', `00-${TID.toUpperCase()}-${SID}-01`, undefined],
    ['an upper-case span id', `00-${TID}-${SID.toUpperCase()}-01`, undefined],
    ['an all-zero trace id', `00-${ZERO_TID}-${SID}-01`, undefined],
    ['an all-zero span id', `00-${TID}-${ZERO_SID}-01`, undefined],
    ['a short trace id', `00-${TID.slice(1)}-${SID}-01`, undefined],
    ['a long span id, short flags', `00-${TID}-${SID}0-1`, undefined],
    ['flags that are not hex', `00-${TID}-${SID}-0z`, undefined],
    ['no flags', `00-${TID}-${SID}`, undefined],
    ['underscores for dashes', `00_${TID}_${SID}_01`, undefined],
    ['odd-length ids (linkerd2-proxy test)', '00-94d7f6ec6b95f3e916179cb6cfd013901-55ccfce77972614-01', undefined],
    ['empty', '', undefined],
    ['non-ASCII', `00-${TID.slice(0, 31)}é-${SID}-01`, undefined],
  ])('%s', (_, value, expected) => {
    expect(parseTraceparent(value)).toEqual(expected);
  });

  it.each([
    [1, `00-${TID}-${PSID}-01`],
    [0, `00-${TID}-${PSID}-00`],
    [255, `00-${TID}-${PSID}-ff`],
    [0x0a, `00-${TID}-${PSID}-0a`],
  ])('formats flags %i as two hex digits', (flags, expected) => {
    expect(formatTraceparent(TID, PSID, flags)).toBe(expected);
  });
});

describe('B3 single header', () => {
  it.each<[string, string, TraceContext | undefined]>([
    ['sampled with parent', `${TID}-${SID}-1-${PSID}`, ctx('b3-single', TID, true, 1)],
    ['sampled without parent', `${TID}-${SID}-1`, ctx('b3-single', TID, true, 1)],
    ['debug', `${TID}-${SID}-d`, ctx('b3-single', TID, true, 1, true)],
    ['a 64-bit trace id', `${TID64}-${SID}-1`, ctx('b3-single', TID64, true, 1)],
    ['not sampled', `${TID}-${SID}-0`, ctx('b3-single', TID, false, 0)],
    ['no sampling decision (deferred)', `${TID}-${SID}`, ctx('b3-single', TID, false, 0)],
    ['a bare decision has no ids', '1', undefined],
    ['a bare deny has no ids', '0', undefined],
    ['an unknown sampling state', `${TID}-${SID}-x`, undefined],
    ['a sampling state of two characters', `${TID}-${SID}-11`, undefined],
    ['a short parent', `${TID}-${SID}-1-${PSID.slice(1)}`, undefined],
    ['an all-zero parent', `${TID}-${SID}-1-${ZERO_SID}`, undefined],
    ['trailing data', `${TID}-${SID}-1-${PSID}-x`, undefined],
    ['a trailing dash', `${TID}-${SID}-`, undefined],
    ['an upper-case trace id', `${TID.toUpperCase()}-${SID}-1`, undefined],
    ['an all-zero trace id', `${ZERO_TID}-${SID}-1`, undefined],
    ['an all-zero span id', `${TID}-${ZERO_SID}-1`, undefined],
    ['a 24-digit trace id', `${TID.slice(8)}-${SID}-1`, undefined],
    ['a short span id', `${TID}-${SID.slice(2)}-1`, undefined],
    ['empty', '', undefined],
  ])('%s', (_, value, expected) => {
    expect(parseB3Single(value)).toEqual(expected);
  });

  it('formats the next hop with the same trace id and state, the caller as parent', () => {
    expect(formatB3Single(ctx('b3-single', TID, true, 1), PSID)).toBe(`${TID}-${PSID}-1-${SID}`);
    expect(formatB3Single(ctx('b3-single', TID64, true, 1, true), PSID)).toBe(`${TID64}-${PSID}-d-${SID}`);
  });
});

describe('B3 multi-header', () => {
  type Row = [string, [string?, string?, string?, string?, string?], TraceContext | undefined];
  it.each<Row>([
    ['sampled', [TID, SID, undefined, '1'], ctx('b3-multi', TID, true, 1)],
    ['sampled (legacy "true")', [TID, SID, PSID, 'true'], ctx('b3-multi', TID, true, 1)],
    ['debug without sampled', [TID, SID, undefined, undefined, '1'], ctx('b3-multi', TID, true, 1, true)],
    ['debug overrides a deny', [TID, SID, undefined, '0', '1'], ctx('b3-multi', TID, true, 1, true)],
    ['a 64-bit trace id', [TID64, SID, undefined, '1'], ctx('b3-multi', TID64, true, 1)],
    ['not sampled', [TID, SID, undefined, '0'], ctx('b3-multi', TID, false, 0)],
    ['not sampled (legacy "false")', [TID, SID, undefined, 'false'], ctx('b3-multi', TID, false, 0)],
    ['no decision', [TID, SID], ctx('b3-multi', TID, false, 0)],
    ['an unknown sampled value', [TID, SID, undefined, 'yes'], undefined],
    ['an unknown flags value', [TID, SID, undefined, '1', '2'], undefined],
    ['no span id', [TID, undefined, undefined, '1'], undefined],
    ['no trace id', [undefined, SID, undefined, '1'], undefined],
    ['a bad parent span id', [TID, SID, 'xyz', '1'], undefined],
    ['an all-zero trace id', [ZERO_TID, SID, undefined, '1'], undefined],
    ['an upper-case span id', [TID, SID.toUpperCase(), undefined, '1'], undefined],
    ['a 20-digit trace id', [TID.slice(12), SID, undefined, '1'], undefined],
  ])('%s', (_, args, expected) => {
    expect(parseB3Multi(...args)).toEqual(expected);
  });
});

describe('propagation headers for the next hop', () => {
  it.each<[TraceContext, string[]]>([
    [ctx('w3c', TID, true, 3), ['traceparent', `00-${TID}-${PSID}-03`]],
    [ctx('b3-single', TID, true, 1), ['b3', `${TID}-${PSID}-1-${SID}`]],
    [ctx('b3-multi', TID64, true, 1), ['x-b3-spanid', PSID, 'x-b3-parentspanid', SID]],
  ])('%o', (context, expected) => {
    expect(propagationHeaders(context, PSID)).toEqual(expected);
  });

  it('exports a 64-bit B3 trace id left-padded to 128 bits', () => {
    expect(exportTraceId(TID64)).toBe(`0000000000000000${TID64}`);
    expect(exportTraceId(TID)).toBe(TID);
  });
});

describe('extracting a sampled context from request headers', () => {
  const w3c = (flags: string) => ({ traceparent: `00-${TID}-${SID}-${flags}` });
  const b3multi = (sampled: string) => ({ 'x-b3-traceid': TID64, 'x-b3-spanid': SID, 'x-b3-sampled': sampled });
  it.each<[string, HeaderObject, TraceContext | undefined]>([
    ['no trace headers', { host: 'a', 'content-type': 'text/plain' }, undefined],
    ['a sampled traceparent', w3c('01'), ctx('w3c', TID, true, 1)],
    ['an unsampled traceparent', w3c('00'), undefined],
    ['a valid unsampled traceparent decides over sampled B3', { ...w3c('00'), b3: `${TID}-${SID}-1` }, undefined],
    [
      'an invalid traceparent falls back to B3',
      { traceparent: 'garbage', b3: `${TID}-${SID}-1` },
      ctx('b3-single', TID, true, 1),
    ],
    ['a sampled b3 header', { b3: `${TID}-${SID}-d` }, ctx('b3-single', TID, true, 1, true)],
    ['a deferred b3 header', { b3: `${TID}-${SID}` }, undefined],
    ['a bare b3 decision falls back to x-b3-*', { b3: '1', ...b3multi('1') }, ctx('b3-multi', TID64, true, 1)],
    ['sampled x-b3-* headers', b3multi('1'), ctx('b3-multi', TID64, true, 1)],
    ['unsampled x-b3-* headers', b3multi('0'), undefined],
    ['x-b3-* headers with debug flags', { ...b3multi('0'), 'x-b3-flags': '1' }, ctx('b3-multi', TID64, true, 1, true)],
    ['x-b3-* headers with a bad parent', { ...b3multi('1'), 'x-b3-parentspanid': 'nope' }, undefined],
    ['x-b3-* headers without span id', { 'x-b3-traceid': TID, 'x-b3-sampled': '1' }, undefined],
    [
      'a repeated traceparent: the first counts',
      { traceparent: [w3c('01').traceparent, 'x'] },
      ctx('w3c', TID, true, 1),
    ],
  ])('%s', (_, headers, expected) => {
    expect(extractSampled(headers, readHeaderObject)).toEqual(expected);
  });
});

describe('other formats carried for the same trace', () => {
  const primary = ctx('w3c', TID, true, 1);
  it.each<[string, HeaderObject, TraceFormat[]]>([
    ['none', { traceparent: `00-${TID}-${SID}-01` }, []],
    ['B3 multi for the same trace', { 'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': '1' }, ['b3-multi']],
    ['B3 with only the low 64 bits of the trace id (another trace)', { b3: `${TID.slice(16)}-${SID}-1` }, []],
    ['B3 for another trace', { b3: `${TID64}${TID64}-${SID}-1` }, []],
    ['invalid B3', { b3: 'nonsense', 'x-b3-traceid': TID }, []],
    [
      'both B3 forms',
      { b3: `${TID}-${SID}-1`, 'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': '1' },
      ['b3-single', 'b3-multi'],
    ],
  ])('%s', (_, headers, formats) => {
    expect(companionContexts(headers, readHeaderObject, primary).map((c) => c.format)).toEqual(formats);
  });

  it('a 64-bit B3 trace id is the same trace as its zero-padded 128-bit W3C form', () => {
    const padded = ctx('w3c', `0000000000000000${TID64}`, true, 1);
    const headers = { b3: `${TID64}-${SID}-1` };
    expect(companionContexts(headers, readHeaderObject, padded).map((c) => c.format)).toEqual(['b3-single']);
  });
});
