import type { ServiceDefinition } from '@grpc/grpc-js';

/**
 * A service definition whose responses may also be written already encoded: a `Buffer` goes out as
 * it is (the same protobuf bytes the method's serializer would make), anything else through that
 * serializer. A server that sends one update to many streams encodes it once and writes the bytes to
 * each, rather than grpc-js encoding the same message once per stream.
 */
export function acceptingEncoded<S extends ServiceDefinition>(definition: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    const serialize = method.responseSerialize;
    out[name] = { ...method, responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : serialize(v)) };
  }
  return out as S;
}
