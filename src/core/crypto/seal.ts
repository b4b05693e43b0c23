/**
 * Seals a value with a key derived from a secret the caller holds, so the
 * store can keep it without being able to read it. Used for the refresh
 * grace window: the successor of a rotated refresh token is kept sealed
 * with a key only the old token derives, so a retry within the window gets
 * the same successor back while the store holds nothing usable on its own.
 * AES-256-GCM from node:crypto, under a key that is one SHA-256 of the
 * secret (v2) or, in seals made by earlier versions, its HKDF-SHA256 (v1).
 */
import { createCipheriv, createDecipheriv, hash, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.js';

const INFO_V1 = Buffer.from('tessera refresh successor v1');

/** The key of seals made by earlier versions (read only: they live for the grace window). */
function keyV1(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), INFO_V1, 32));
}

/**
 * The key: SHA-256 of a domain-separation label and the secret. The secret
 * is a refresh token, which carries about 190 bits of uniform randomness
 * (its prefix and checksum add none), well over the key's 128-bit security
 * level, so it needs no extraction step:
 * HKDF's extract (RFC 5869 §3.3) is there to concentrate non-uniform input,
 * and its expand of one block is an HMAC over the same hash. One one-shot
 * SHA-256 costs about a tenth of hkdfSync's call, and a rotation makes one.
 * The label keeps this key apart from every other SHA-256 of a token
 * (its stored hash, its family id).
 */
function keyV2(secret: string): Buffer {
  return hash('sha256', `tessera refresh successor v2\0${secret}`, 'buffer');
}

/** `<version>.<iv>.<ciphertext>.<tag>`, base64url parts, AES-256-GCM under a 32-byte key. */
export function sealWithKey(plaintext: string, key: Buffer, version: string): string {
  // A random 96-bit GCM nonce (NIST SP 800-38D §8.2.2), from the pool.
  const iv = pooledRandomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [version, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** The plaintext, or null when `sealed` is not of `version`, was not sealed under `key`, or was altered. */
export function unsealWithKey(sealed: string, key: Buffer, version: string): string | null {
  const [v, iv, body, tag] = sealed.split('.');
  if (v !== version || !iv || body === undefined || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** `v2.<iv>.<ciphertext>.<tag>`, base64url parts. */
export function seal(plaintext: string, secret: string): string {
  return sealWithKey(plaintext, keyV2(secret), 'v2');
}

/**
 * The plaintext, or null when `sealed` was not sealed with this secret or
 * was altered. A v1 seal (earlier versions, HKDF key) is still opened: one
 * made just before an upgrade is read by the retry that follows it.
 */
export function unseal(sealed: string, secret: string): string | null {
  return sealed.startsWith('v1.') ? unsealWithKey(sealed, keyV1(secret), 'v1') : unsealWithKey(sealed, keyV2(secret), 'v2');
}
