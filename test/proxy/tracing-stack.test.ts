import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlp-receiver.js';
import { DualMesh, type Protocol } from './support/dual.js';

/**
 * Distributed tracing in the proxy's one stack: a sampled request gets one span per hop whatever path
 * serves it (plain, retried, answered by the proxy), over HTTP/1.1 and h2c alike, and the request goes on
 * as a child of that span; an unsampled one passes untouched and costs no span.
 */
const traceparent = (trace: string, span: string, sampled: boolean) => `00-${trace}-${span}-${sampled ? '01' : '00'}`;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

for (const protocol of ['http1', 'h2c'] as Protocol[]) {
  describe(`tracing through the outbound proxy, over ${protocol}`, () => {
    let otlp: OtlpReceiver;
    let m: DualMesh;
    let next = 1;
    const ids = () => ({ trace: hex(0xabc000 + next, 32), span: hex(next++, 16) });

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      m = await DualMesh.start(protocol, ['v1'], {
        tracing: { collector: otlp.url, serviceName: 'web-proxy', flushIntervalMs: 50 },
        namespace: 'shop',
        pod: 'web-0',
      });
    });
    afterAll(async () => {
      await m?.close();
      await otlp?.close();
    });

    const spansOf = (trace: string) => otlp.spans.filter((s) => s.traceId === trace);

    it('a sampled request: a child span of the caller, exported with the response status', async () => {
      await m.routes([{ backendRefs: [m.to('v1')] }]);
      const { trace, span } = ids();
      const r = await m.send('/traced', {
        headers: { traceparent: traceparent(trace, span, true), 'x-echo-headers': 'traceparent' },
      });
      expect(r.status).toBe(200);
      const seen = String(r.headers['x-seen-traceparent']);
      const [, seenTrace, hopSpan, flags] = seen.split('-');
      expect(seenTrace).toBe(trace);
      expect(hopSpan).not.toBe(span);
      expect(flags).toBe('01');
      const start = Date.now();
      while (spansOf(trace).length === 0 && Date.now() - start < 10_000)
        await new Promise((res) => setTimeout(res, 20));
      const [exported] = spansOf(trace);
      expect(exported).toMatchObject({ spanId: hopSpan, parentSpanId: span });
      expect(exported?.attributes['http.response.status_code']).toBe(200);
      expect(exported?.resource['k8s.pod.name']).toBe('web-0');
    });

    it('a retried request is one hop: one span, whatever the tries', async () => {
      await m.routes([{ retry: { codes: [503], attempts: 2, backoff: '1ms' }, backendRefs: [m.to('v1')] }]);
      const { trace, span } = ids();
      const r = await m.send(`/flaky/${trace}?fail=1&code=503`, {
        headers: { traceparent: traceparent(trace, span, true) },
      });
      expect(r.status).toBe(200);
      // a sampled request after it: once its span is in, any second span of the retried one would be too
      const marker = ids();
      await m.send('/marker', { headers: { traceparent: traceparent(marker.trace, marker.span, true) } });
      const start = Date.now();
      while (spansOf(marker.trace).length === 0 && Date.now() - start < 10_000) {
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(spansOf(trace)).toHaveLength(1);
      expect(spansOf(trace)[0]?.attributes['http.response.status_code']).toBe(200);
    });

    it('an answer the proxy made (no route) ends the span with its status and an error', async () => {
      await m.routes([{ matches: [{ path: { type: 'PathPrefix', value: '/only' } }], backendRefs: [m.to('v1')] }]);
      const { trace, span } = ids();
      const r = await m.send('/nowhere', { headers: { traceparent: traceparent(trace, span, true) } });
      expect(r.status).toBe(404);
      const start = Date.now();
      while (spansOf(trace).length === 0 && Date.now() - start < 10_000)
        await new Promise((res) => setTimeout(res, 20));
      expect(spansOf(trace)[0]?.attributes['http.response.status_code']).toBe(404);
      expect(String(spansOf(trace)[0]?.attributes.error)).toMatch(/no route matches/);
    });

    it('an unsampled request passes untouched and makes no span', async () => {
      await m.routes([{ backendRefs: [m.to('v1')] }]);
      const quiet = ids();
      const header = traceparent(quiet.trace, quiet.span, false);
      const r = await m.send('/quiet', { headers: { traceparent: header, 'x-echo-headers': 'traceparent' } });
      expect(r.headers['x-seen-traceparent']).toBe(header);
      // a sampled request after it: once its span is in, the unsampled one would be too
      const loud = ids();
      await m.send('/loud', { headers: { traceparent: traceparent(loud.trace, loud.span, true) } });
      const start = Date.now();
      while (spansOf(loud.trace).length === 0 && Date.now() - start < 10_000)
        await new Promise((res) => setTimeout(res, 20));
      expect(spansOf(loud.trace)).toHaveLength(1);
      expect(spansOf(quiet.trace)).toEqual([]);
    });
  });
}
