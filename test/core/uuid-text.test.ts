/** A UUID's text from its bytes, and the refresh family ids written with it, which must never change: stored families are keyed by them. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { uuidText } from '../../src/core/ids/uuid-text.js';
import { opaqueTokenOf } from '../../src/core/tokens/opaque-token.js';
import { refreshTokenRef } from '../../src/core/tokens/refresh-tokens.js';

test('16 bytes become the canonical lower-case 8-4-4-4-12 text', () => {
  expect(uuidText(Buffer.from('00112233445566778899aabbccddeeff', 'hex'))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  for (let i = 0; i < 200; i++) {
    const id = randomUUID();
    expect(uuidText(Buffer.from(id.replace(/-/g, ''), 'hex'))).toBe(id);
  }
});

test('only the first 16 bytes of a view count, wherever the view starts in its buffer', () => {
  const backing = Buffer.concat([Buffer.from('ffff', 'hex'), Buffer.from('00112233445566778899aabbccddeeff', 'hex'), Buffer.from('eeee', 'hex')]);
  expect(uuidText(backing.subarray(2))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  expect(uuidText(new Uint8Array(backing.buffer, backing.byteOffset + 2, 18))).toBe('00112233-4455-6677-8899-aabbccddeeff');
});

test('a view shorter than 16 bytes gives the text of its own bytes only, never what follows it in the buffer', () => {
  const backing = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  // The hex of the four bytes, cut into the groups as far as it goes (the form the store's earlier conversion gave).
  expect(uuidText(backing.subarray(0, 4))).toBe('00112233----');
});

/** The family id as it was first written, byte for byte (before uuidText existed). */
function firstDerivation(head: string): string {
  const h = createHash('sha256').update(`tessera refresh family\0${head}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

test('a refresh token names the family id it always named: version-4 layout of the SHA-256 of its family part', () => {
  const id = refreshTokenRef(opaqueTokenOf('refresh', '0123456789ABCDEF', 'abcdefghijklmnop'))?.familyId;
  expect(id).toBe(firstDerivation('0123456789ABCDEF'));
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('random family parts give the same ids as the first derivation', () => {
  const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const part = () => [...randomBytes(16)].map((b) => BASE62[b % 62]).join('');
  for (let i = 0; i < 200; i++) {
    const head = part();
    expect(refreshTokenRef(opaqueTokenOf('refresh', head, part()))?.familyId).toBe(firstDerivation(head));
  }
});
