import { ipAllowed, isCidr } from '../../src/core/api-tokens/ip-allowlist.js';

describe('IP allowlists', () => {
  test('accept IPv4 and IPv6 addresses and CIDRs, and nothing else', () => {
    for (const ok of ['10.0.0.0/8', '192.0.2.1', '0.0.0.0/0', '2001:db8::/32', '::1', '::/0', '::ffff:10.0.0.0/104']) expect(isCidr(ok)).toBe(true);
    for (const bad of ['', '10.0.0.0/33', '2001:db8::/129', '10.0.0/8', 'example.com', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '1.2.3.4/08x']) expect(isCidr(bad)).toBe(false);
  });

  test('match addresses inside a subnet and refuse those outside', () => {
    expect(ipAllowed(['10.0.0.0/8'], '10.200.3.4')).toBe(true);
    expect(ipAllowed(['10.0.0.0/8'], '11.0.0.1')).toBe(false);
    expect(ipAllowed(['192.0.2.7'], '192.0.2.7')).toBe(true);
    expect(ipAllowed(['192.0.2.7'], '192.0.2.8')).toBe(false);
    expect(ipAllowed(['2001:db8::/32'], '2001:db8:1::5')).toBe(true);
    expect(ipAllowed(['2001:db8::/32'], '2001:db9::5')).toBe(false);
  });

  test('an IPv4-mapped IPv6 address, as a dual-stack socket reports it, matches an IPv4 subnet', () => {
    expect(ipAllowed(['127.0.0.0/8'], '::ffff:127.0.0.1')).toBe(true);
    expect(ipAllowed(['10.0.0.0/8'], '::ffff:127.0.0.1')).toBe(false);
  });

  test('an empty list or an unparseable address allows nothing', () => {
    expect(ipAllowed([], '10.0.0.1')).toBe(false);
    expect(ipAllowed(['0.0.0.0/0'], '')).toBe(false);
    expect(ipAllowed(['0.0.0.0/0'], 'not-an-ip')).toBe(false);
  });
});
