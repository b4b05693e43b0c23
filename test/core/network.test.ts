import { networkOf } from '../../src/core/suspicious/network.js';

test.each([
  ['198.51.100.7', '198.51.100.0/24'],
  ['10.0.0.255', '10.0.0.0/24'],
  ['::ffff:127.0.0.1', '127.0.0.0/24'],
  ['2001:db8:1:2::5', '2001:db8:1::/48'],
  ['2001:0db8:0000:0000::1', '2001:db8::/48'],
  ['fe80::1', 'fe80::/48'],
  ['::1', '::/48'],
])('%s is in %s', (ip, network) => {
  expect(networkOf(ip)).toBe(network);
});

test.each(['', 'localhost', '300.1.1.1', '1.2.3', 'not an address'])('%j is no address', (ip) => {
  expect(networkOf(ip)).toBeNull();
});
