/**
 * The network an address belongs to, as suspicious-use baselines count
 * them: its /24 for IPv4 and its /48 for IPv6 (the usual allocation to one
 * site), an IPv4-mapped IPv6 address as the IPv4 it maps. Parsed with
 * ipaddr.js (what Express's proxy-addr uses), never by hand.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** `198.51.100.0/24`, `2001:db8:1::/48`; null when `ip` is not an address. */
export function networkOf(ip: string): string | null {
  // node:net's strict check first: ipaddr.js also takes classful shorthands such as `1.2.3`.
  if (isIP(ip) === 0) return null;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') {
    const [a, b, c] = (addr as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 3);
  return `${ipaddr.IPv6.parse(`${parts.map((p) => p.toString(16)).join(':')}::`).toString()}/48`;
}
