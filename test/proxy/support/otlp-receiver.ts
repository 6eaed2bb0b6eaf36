/**
 * A minimal OTLP/HTTP trace receiver for tests: accepts `POST /v1/traces` (JSON encoding, as the
 * OpenTelemetry OTLP/HTTP exporter sends it), decodes the spans, and can hold its responses to play a slow
 * collector. Listens on 127.0.0.1, port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type AttributeValue = string | number | boolean | undefined;

/** One span as received, with its resource, attributes flattened to plain values. */
export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: { code: number; message?: string };
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  scope: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

/** OTLP JSON `AnyValue`, the scalar cases */
interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status?: { code?: number; message?: string };
  attributes?: KeyValue[];
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
}
interface ExportTraceServiceRequest {
  resourceSpans: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans: { scope?: { name?: string }; spans: OtlpSpan[] }[];
  }[];
}

function value(v: AnyValue): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function flatten(attributes: KeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((attributes ?? []).map((kv) => [kv.key, value(kv.value)]));
}

export function decodeTraces(body: ExportTraceServiceRequest): ReceivedSpan[] {
  return body.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        name: s.name,
        kind: s.kind,
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
        attributes: flatten(s.attributes),
        resource: flatten(rs.resource?.attributes),
        scope: ss.scope?.name ?? '',
        startTimeUnixNano: String(s.startTimeUnixNano),
        endTimeUnixNano: String(s.endTimeUnixNano),
      })),
    ),
  );
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`, the collector address to configure */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** export requests received (whether answered yet or not) */
  readonly requests: number;
  /** resolves once `count` spans arrived; rejects after `timeoutMs` */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** from now on, hold every response until `release()` */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const held: ServerResponse[] = [];
  let holding = false;
  let requests = 0;

  function notify(): void {
    for (const w of [...waiters]) {
      if (spans.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
      res.writeHead(404).end();
      return;
    }
    requests++;
    spans.push(...decodeTraces(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest));
    notify();
    if (holding) held.push(res);
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function release(): void {
    holding = false;
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    get requests() {
      return requests;
    },
    waitForSpans(count, timeoutMs = 10_000) {
      if (spans.length >= count) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`OTLP receiver: ${spans.length} of ${count} spans after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(spans);
          },
        });
      });
    },
    hold() {
      holding = true;
    },
    release,
    close() {
      release();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
