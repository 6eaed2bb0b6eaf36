import { isIPv4, isIPv6 } from 'node:net';
import type { TcpAddress, TcpAddress__Output } from './generated/weir/net/v1/TcpAddress.js';

/** `10.0.0.1`, 8080 -> TcpAddress (IPv4 as a big-endian fixed32, IPv6 as two big-endian fixed64) */
export function toTcpAddress(ip: string, port: number): TcpAddress {
  if (isIPv4(ip)) {
    const n = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    return { ip: { ipv4: n }, port };
  }
  if (isIPv6(ip)) {
    const bytes = ipv6Bytes(ip);
    return {
      ip: { ipv6: { first: bytes.readBigUInt64BE(0).toString(), last: bytes.readBigUInt64BE(8).toString() } },
      port,
    };
  }
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

/** TcpAddress -> `{ ip, port }`; undefined when it carries no IP */
export function fromTcpAddress(a: TcpAddress__Output | null | undefined): { ip: string; port: number } | undefined {
  const ip = a?.ip;
  if (a === null || a === undefined || ip === null || ip === undefined) return undefined;
  const which = ip.ip ?? (ip.ipv4 !== undefined && ip.ipv4 !== null ? 'ipv4' : 'ipv6');
  if (which === 'ipv4' && typeof ip.ipv4 === 'number') {
    const n = ip.ipv4 >>> 0;
    return { ip: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), port: a.port };
  }
  if (which === 'ipv6' && ip.ipv6 !== null && ip.ipv6 !== undefined) {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(BigInt(ip.ipv6.first), 0);
    b.writeBigUInt64BE(BigInt(ip.ipv6.last), 8);
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return { ip: compressIPv6(groups), port: a.port };
  }
  return undefined;
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? (ip.split('::') as [string, string]) : [ip, undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  // an embedded IPv4 tail (`::ffff:1.2.3.4`) is two groups
  const expand = (groups: string[]) =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const hh = expand(h);
  const tt = expand(t);
  const zeros = tail === undefined ? [] : new Array<string>(8 - hh.length - tt.length).fill('0');
  const out = Buffer.alloc(16);
  [...hh, ...zeros, ...tt].forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952: the longest run of zero groups (two or more) becomes `::` */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
