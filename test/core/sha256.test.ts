/** SHA-256 as bytes from the shared buffer pool: the digests crypto gives, each in bytes of its own. */
import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from '../../src/core/crypto/sha256.js';

test('the FIPS 180-4 example: SHA-256 of "abc" and of the empty string', () => {
  expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect(sha256('').toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('the same 32 bytes as createHash, for UTF-8 text and long input too', () => {
  for (const value of ['tsr_' + randomBytes(28).toString('base64url'), 'tessera refresh family\0héllo ☃', 'x'.repeat(10_000)]) {
    const digest = sha256(value);
    expect(digest).toHaveLength(32);
    expect(digest.equals(createHash('sha256').update(value, 'utf8').digest())).toBe(true);
  }
});

test('each digest has bytes of its own: a later digest or a change to one leaves the others as they were', () => {
  const first = sha256('one');
  const kept = Buffer.from(first);
  const second = sha256('two');
  second.fill(0);
  expect(first.equals(kept)).toBe(true);
  expect(sha256('one').equals(kept)).toBe(true);
  expect(sha256('two').equals(createHash('sha256').update('two').digest())).toBe(true);
});
