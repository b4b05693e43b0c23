/**
 * Seals a value with a key derived from a secret the caller holds, so the
 * store can keep it without being able to read it. Used for the refresh
 * grace window: the successor of a rotated refresh token is kept sealed
 * with a key only the old token derives, so a retry within the window gets
 * the same successor back while the store holds nothing usable on its own.
 * HKDF-SHA256 and AES-256-GCM from node:crypto.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.js';

const INFO = Buffer.from('tessera refresh successor v1');

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), INFO, 32));
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

/** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
export function seal(plaintext: string, secret: string): string {
  return sealWithKey(plaintext, keyFrom(secret), 'v1');
}

/** The plaintext, or null when `sealed` was not sealed with this secret or was altered. */
export function unseal(sealed: string, secret: string): string | null {
  return unsealWithKey(sealed, keyFrom(secret), 'v1');
}
