/**
 * Revision detection as Flagger does it (`pkg/canary/deployment_controller.go ComputeHash`): an FNV-32a
 * hash of the pod template, printed in decimal and passed through Kubernetes' `rand.SafeEncodeString`,
 * so values look like Flagger's (`85d557f47b`). Flagger hashes Go's deep-printed struct; Weir hashes a JSON
 * serialisation with sorted keys, so equal templates give equal hashes whatever the key order.
 */

/** JSON with object keys sorted at every level; `undefined` members are dropped as JSON does. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

function utf8Bytes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of the text. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8Bytes(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s.io/apimachinery `rand.SafeEncodeString`: maps each byte onto an alphabet without vowels. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/** `status.lastAppliedSpec` of a pod template. */
export function templateHash(template: unknown): string {
  return safeEncodeString(String(fnv32a(stableStringify(template))));
}
