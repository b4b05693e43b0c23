/**
 * IP allowlists of API tokens: CIDRs (or single addresses) of IPv4 and IPv6.
 * Matching is Node's own net.BlockList, which also matches IPv4-mapped IPv6
 * addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports) against
 * IPv4 subnets; this module only splits and checks the notation.
 */
import { BlockList, isIP } from 'node:net';

interface Subnet { address: string; prefix: number; family: 'ipv4' | 'ipv6' }

function parse(value: string): Subnet | null {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const bits = value.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether `value` is an address or CIDR this module accepts. */
export function isCidr(value: string): boolean {
  return parse(value) !== null;
}

const ENDS = { ipv4: ['0.0.0.0', '255.255.255.255'], ipv6: ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] } as const;

/**
 * Whether one entry alone lets in every IPv4 or every IPv6 address
 * (`0.0.0.0/0`, `::/0`, or `::ffff:0:0/96`, which net.BlockList also matches
 * every IPv4 address against): an allowlist that restricts nothing. A subnet
 * is one range, so holding both ends of a family's space means holding all of it.
 */
export function allowsEveryAddress(value: string): boolean {
  const subnet = parse(value);
  if (!subnet) return false;
  const list = new BlockList();
  list.addSubnet(subnet.address, subnet.prefix, subnet.family);
  return (['ipv4', 'ipv6'] as const).some((family) => ENDS[family].every((end) => list.check(end, family)));
}

/** A prefix on one scale for both families: an IPv4 /p is the IPv4-mapped IPv6 /(96 + p). */
const scaled = (s: Subnet) => (s.family === 'ipv4' ? 96 + s.prefix : s.prefix);

/**
 * Whether every address `value` allows is also allowed by one of `outer`:
 * the entry's address lies in a subnet of `outer` (net.BlockList decides,
 * mapped IPv4 included) whose prefix is no longer than the entry's, so the
 * whole entry shares that subnet's leading bits.
 */
export function withinAllowlist(value: string, outer: readonly string[]): boolean {
  const inner = parse(value);
  if (!inner) return false;
  return outer.some((o) => {
    const subnet = parse(o);
    if (!subnet || scaled(subnet) > scaled(inner)) return false;
    const list = new BlockList();
    list.addSubnet(subnet.address, subnet.prefix, subnet.family);
    return list.check(inner.address, inner.family);
  });
}

/** Whether `ip` is inside any of `allowed`; an unparseable address is never allowed. */
export function ipAllowed(allowed: readonly string[], ip: string): boolean {
  const version = isIP(ip);
  if (version === 0) return false;
  const list = new BlockList();
  for (const value of allowed) {
    const subnet = parse(value);
    if (subnet) list.addSubnet(subnet.address, subnet.prefix, subnet.family);
  }
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}
