/** UUIDs in key names and fields: 22 base64url characters for a canonical lower-case UUID, anything else as it is. */
import { randomUUID } from 'node:crypto';
import { compactId, isUuid, uuidBytes, uuidOf } from '../../src/store/redis/compact-id.js';

/** The conversion the store used before (regular expression, hex): key names must stay byte-identical to it. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const earlier = (id: string) => (UUID.test(id) ? Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url') : id);

test('a UUID becomes the base64url of its 16 bytes, 22 characters', () => {
  expect(compactId('00112233-4455-6677-8899-aabbccddeeff')).toBe('ABEiM0RVZneImaq7zN3u_w');
  expect(uuidBytes('00112233-4455-6677-8899-aabbccddeeff')).toEqual(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
});

test('random UUIDs convert exactly as the earlier conversion did, and back', () => {
  for (let i = 0; i < 500; i++) {
    const id = randomUUID();
    expect(compactId(id)).toBe(earlier(id));
    expect(uuidOf(compactId(id))).toBe(id);
  }
});

test.each([
  ['upper-case digits', '00112233-4455-6677-8899-AABBCCDDEEFF'],
  ['a non-hex letter', '00112233-4455-6677-8899-aabbccddeefg'],
  ['a character just past 9', '00112233-4455-6677-8899-aabbccddee:f'],
  ['a character just before a', '00112233-4455-6677-8899-aabbccddee`f'],
  ['no hyphens', '00112233445566778899aabbccddeeff'],
  ['a hyphen moved', '0011223-34455-6677-8899-aabbccddeeff'],
  ['a digit in place of a hyphen', '00112233-4455-6677-88990aabbccddeeff'],
  ['one character short', '00112233-4455-6677-8899-aabbccddeef'],
  ['one character over', '00112233-4455-6677-8899-aabbccddeeff0'],
  ['braces', '{00112233-4455-6677-8899-aabbccddeeff}'],
  ['nothing in it', ''],
  ['another form altogether', 'family-7'],
])('an id with %s is not a UUID and stays as it is', (_, id) => {
  expect(isUuid(id)).toBe(false);
  expect(uuidBytes(id)).toBeNull();
  expect(compactId(id)).toBe(id);
  expect(compactId(id)).toBe(earlier(id));
});
