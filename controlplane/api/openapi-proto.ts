/**
 * OpenAPI v2 in protocol buffers (gnostic's `openapi.v2.Document`), which older kubectl versions ask
 * for (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) before they validate a
 * manifest. Only `swagger` and `info` are encoded: with no definitions, kubectl validates nothing on
 * its side and the API validates each object with its own schema (422 with the fields).
 */

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function bytesField(field: number, data: Uint8Array): number[] {
  return [...varint((field << 3) | 2), ...varint(data.length), ...data];
}

const str = (field: number, s: string) => bytesField(field, new TextEncoder().encode(s));

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Document { swagger = 1; info = 2 { title = 1; version = 4 } } */
export function openApiV2Protobuf(title: string, version: string): Buffer {
  const info = Uint8Array.from([...str(1, title), ...str(4, version)]);
  return Buffer.from([...str(1, '2.0'), ...bytesField(2, info)]);
}
