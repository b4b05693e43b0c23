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
