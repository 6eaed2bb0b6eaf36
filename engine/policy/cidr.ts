import ipaddr from 'ipaddr.js';

/**
 * CIDR ranges as NetworkAuthentication and Linkerd's default policies write them (`10.0.0.0/8`,
 * `fd00::/8`); a bare address is its own /32 or /128. IPv4-mapped IPv6 client addresses
 * (`::ffff:10.1.2.3`, as a dual-stack socket reports them) match IPv4 ranges.
 */
export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** the range `text` stands for, or undefined when it is not a CIDR or an address */
export function parseCidr(text: string): Cidr | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const addr = ipaddr.parse(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

/** a client address as a range can match it (IPv4-mapped IPv6 unwrapped), undefined when unparsable */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(text);
  } catch {
    return undefined;
  }
}

/** whether `addr` is inside `range` (an address of the other family never is) */
export function inCidr(addr: ipaddr.IPv4 | ipaddr.IPv6, range: Cidr): boolean {
  if (addr.kind() !== range[0].kind()) return false;
  return addr.match(range);
}
