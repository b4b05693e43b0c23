import { generateSecret, hashChosenSecret, hashGeneratedSecret, verifySecret } from '../../src/core/crypto/secret-hash.js';

describe('secret hashing', () => {
  test('generated secrets carry 256 bits, base64url', () => {
    const s = generateSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
  });

  test('a generated secret is stored as SHA-256 and verifies', async () => {
    const s = generateSecret();
    const h = hashGeneratedSecret(s);
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h).not.toContain(s);
    await expect(verifySecret(s, h)).resolves.toBe(true);
    await expect(verifySecret(s + 'x', h)).resolves.toBe(false);
    await expect(verifySecret('', h)).resolves.toBe(false);
  });

  test('a chosen secret is stored with scrypt and a random salt', async () => {
    const a = await hashChosenSecret('correct horse battery');
    const b = await hashChosenSecret('correct horse battery');
    expect(a).toMatch(/^scrypt:16384:8:1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    await expect(verifySecret('correct horse battery', a)).resolves.toBe(true);
    await expect(verifySecret('correct horse batterY', a)).resolves.toBe(false);
  });

  test('an unknown or truncated stored form never matches', async () => {
    await expect(verifySecret('x', 'md5:abc')).resolves.toBe(false);
    await expect(verifySecret('x', 'sha256:00')).resolves.toBe(false);
    await expect(verifySecret('x', 'scrypt:1:2')).resolves.toBe(false);
  });
});
