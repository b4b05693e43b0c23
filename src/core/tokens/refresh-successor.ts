/**
 * The successor of a rotated refresh token, and what the store keeps so
 * that a retry within the grace window (RFC 9700 §4.14.2) gets the same
 * successor back while the store holds nothing usable on its own.
 *
 * The successor's new half (its tail: about 95 bits) is derived from the
 * old token and a random 128-bit salt: base62 of SHA-256 over a label, the
 * salt and the old token. The store keeps only `v3.<salt>` for the grace
 * window. The old token is never stored (only a hash of it), so the salt
 * alone gives nothing; the old token without the salt gives nothing either,
 * and the salt is gone with the grace entry. This is what a sealed
 * successor (an AES-GCM seal under a key only the old token derives, `v2.`
 * and `v1.`, still opened for seals made before an upgrade) gave, at a
 * fraction of its cost: one one-shot SHA-256 where the seal took a SHA-256
 * and an AES-GCM cipher object per rotation, and 25 bytes to Redis instead
 * of about 100.
 *
 * Why a plain SHA-256 is enough here: its secret input, the old token,
 * carries about 190 bits of uniform randomness, so no extraction step is
 * needed (RFC 5869 §3.3), and the label keeps this derivation apart from
 * every other SHA-256 of a token (its stored hash, its family id, the keys
 * of earlier seals). The secret comes last, so nothing can be appended to
 * it; the digest is never shown whole, only the 95 bits of the tail.
 */
import { unseal } from '../crypto/seal.js';
import { pooledRandomBytes } from '../crypto/random-pool.js';
import { sha256 } from '../crypto/sha256.js';
import { base62OfBytes, HEAD_LENGTH, OPAQUE_PREFIXES, opaqueTokenOf, TAIL_LENGTH } from './opaque-token.js';

const HEAD_AT = OPAQUE_PREFIXES.refresh.length;
const VERSION = 'v3.';
const SALT = /^[A-Za-z0-9_-]{22}$/;

/** A successor of `token` and what the store keeps for the grace window (kept). */
export function derivedSuccessor(token: string): { successor: string; kept: string } {
  // 16 random bytes: 22 base64url characters.
  const salt = pooledRandomBytes(16).toString('base64url');
  return { successor: successorOf(token, salt), kept: VERSION + salt };
}

/**
 * The successor `kept` (derivedSuccessor, or a seal of earlier versions)
 * gives back to the holder of `token`; null when it gives none: malformed,
 * or a seal `token` does not open.
 */
export function keptSuccessor(kept: string, token: string): string | null {
  if (!kept.startsWith(VERSION)) return unseal(kept, token);
  const salt = kept.slice(VERSION.length);
  return SALT.test(salt) ? successorOf(token, salt) : null;
}

function successorOf(token: string, salt: string): string {
  const head = token.slice(HEAD_AT, HEAD_AT + HEAD_LENGTH);
  // One block gives 16 usable bytes but for a chance of about 1e-17; a further block (another counter) when it does not.
  for (let block = 0; ; block++) {
    const digest = sha256(`tessera refresh successor v3\0${block}\0${salt}\0${token}`);
    const tail = base62OfBytes(digest, TAIL_LENGTH);
    if (tail !== null) return opaqueTokenOf('refresh', head, tail);
  }
}
