import { allowsEveryAddress, ipAllowed, isCidr, withinAllowlist } from '../../src/core/api-tokens/ip-allowlist.js';

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

  test('an entry that lets in every IPv4 or every IPv6 address is told apart from real limits', () => {
    for (const all of ['0.0.0.0/0', '10.0.0.0/0', '::/0', '2001:db8::/0', '::ffff:0:0/96', '::ffff:0.0.0.0/96', '::/64']) expect([all, allowsEveryAddress(all)]).toEqual([all, true]);
    for (const some of ['0.0.0.0/1', '128.0.0.0/1', '10.0.0.0/8', '::ffff:10.0.0.0/104', '2001:db8::/32', '::1', '0.0.0.0', 'not-an-ip']) expect([some, allowsEveryAddress(some)]).toEqual([some, false]);
  });
});

describe('one allowlist within another', () => {
  test('an entry is within when a subnet of the outer list holds all of it', () => {
    const outer = ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'];
    for (const inside of ['10.1.0.0/16', '10.1.2.3', '10.0.0.0/8', '2001:db8:1::/48', '127.0.0.1', '::ffff:10.1.0.0/112']) {
      expect([inside, withinAllowlist(inside, outer)]).toEqual([inside, true]);
    }
    for (const outside of ['10.0.0.0/7', '11.0.0.0/8', '0.0.0.0/0', '2001:db8::/31', '127.0.0.0/8', '127.0.0.2', '::ffff:10.0.0.0/95', 'junk']) {
      expect([outside, withinAllowlist(outside, outer)]).toEqual([outside, false]);
    }
    expect(withinAllowlist('10.1.2.3', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(withinAllowlist('10.1.2.3', [])).toBe(false);
  });
});
