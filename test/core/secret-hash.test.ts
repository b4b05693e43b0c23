import { generateSecret, hashGeneratedSecret, matchesGeneratedSecret } from '../../src/core/crypto/secret-hash.js';

describe('generated secrets', () => {
  test('carry 256 bits, base64url', () => {
    const s = generateSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
  });

  test('are stored as SHA-256 and verify', () => {
    const s = generateSecret();
    const h = hashGeneratedSecret(s);
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h).not.toContain(s);
    expect(matchesGeneratedSecret(s, h)).toBe(true);
    expect(matchesGeneratedSecret(s + 'x', h)).toBe(false);
    expect(matchesGeneratedSecret('', h)).toBe(false);
  });

  test('an other or truncated stored form never matches', () => {
    expect(matchesGeneratedSecret('x', 'md5:abc')).toBe(false);
    expect(matchesGeneratedSecret('x', 'sha256:00')).toBe(false);
    expect(matchesGeneratedSecret('x', 'scrypt:1:2')).toBe(false);
  });
});
