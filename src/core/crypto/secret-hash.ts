/**
 * Hashes of secrets at rest. Generated secrets carry 256 bits of randomness,
 * so a fast SHA-256 is right for them (no dictionary to attack, and a slow
 * KDF would put seconds of CPU on every token request). Secrets a person
 * chose (a client_secret given at create, passwords) get scrypt, a
 * memory-hard KDF. The stored form names its scheme, so both verify through
 * one function, always in constant time.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 } as const;

function scrypt(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A fresh secret with 256 bits of randomness, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** For secrets this server generated (256 bits of entropy). */
export function hashGeneratedSecret(secret: string): string {
  return `sha256:${sha256Hex(secret)}`;
}

/** For secrets a person chose: scrypt with a random salt. */
export async function hashChosenSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem });
  return `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time check of a presented secret against its stored hash. Unknown schemes never match. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (stored.startsWith('sha256:')) {
    const expected = Buffer.from(stored.slice(7), 'hex');
    return equal(createHash('sha256').update(secret, 'utf8').digest(), expected);
  }
  const parts = stored.split(':');
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
    const expected = Buffer.from(key, 'base64url');
    const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem,
    });
    return equal(actual, expected);
  }
  return false;
}
