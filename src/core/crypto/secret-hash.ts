/**
 * Hashes of secrets this server generated. They carry 256 bits of
 * randomness, so a fast SHA-256 is right for them (no dictionary to attack,
 * and a slow KDF would put seconds of CPU on every token request). Secrets a
 * person chose (a client_secret given at create, passwords) get scrypt
 * instead (password-hasher.ts). The stored form names its scheme.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from './sha256.js';

/** A fresh secret with 256 bits of randomness, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** One-shot crypto.hash: no Hash object per call (introspection hashes every token it is shown). */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** For secrets this server generated (256 bits of entropy). */
export function hashGeneratedSecret(secret: string): string {
  return `sha256:${sha256Hex(secret)}`;
}

/** Constant-time check of a secret against a `sha256:` hash; anything else never matches. */
export function matchesGeneratedSecret(secret: string, stored: string): boolean {
  if (!stored.startsWith('sha256:')) return false;
  const expected = Buffer.from(stored.slice(7), 'hex');
  const actual = sha256(secret);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
