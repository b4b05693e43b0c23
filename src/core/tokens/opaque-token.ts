/**
 * Opaque tokens of the contract: `tsr_` (refresh) and `tsp_` (API token) are
 * the prefix, 32 base62 characters of randomness, then 6 base62 characters of
 * the CRC32 (IEEE) of everything before them, big-endian, alphabet 0-9A-Za-z,
 * left-padded with 0. A secret scanner finds them by prefix and checks them
 * offline; the server rejects anything else before any store lookup.
 */
import { randomByte } from '../crypto/random-pool.js';
import { crc32 } from 'node:zlib';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const OPAQUE_PREFIXES = { refresh: 'tsr_', api: 'tsp_' } as const;
export type OpaqueKind = keyof typeof OPAQUE_PREFIXES;

const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const SHAPE = /^(tsr_|tsp_)([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

/**
 * The base62 character a uniformly random byte gives, or '' for a byte
 * that is skipped: rejection sampling, 248 = 4 * 62, so the bytes below it
 * map to every character equally often.
 */
function base62OfByte(byte: number): string {
  return byte < 248 ? BASE62[byte % 62]! : '';
}

/** `length` uniformly random base62 characters (32: about 190 bits). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) out += base62OfByte(randomByte());
  return out;
}

export function checksum(body: string): string {
  let n = crc32(body) >>> 0;
  let out = '';
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(CHECKSUM_LENGTH, '0');
}

export function generateOpaqueToken(kind: OpaqueKind): string {
  const body = OPAQUE_PREFIXES[kind] + randomBase62(RANDOM_LENGTH);
  return body + checksum(body);
}

/** The first half of a token's random part: a refresh token's family part (tokens/refresh-tokens.ts). */
export const HEAD_LENGTH = RANDOM_LENGTH / 2;

/** The second half of a token's random part: new at every refresh rotation. */
export const TAIL_LENGTH = RANDOM_LENGTH - HEAD_LENGTH;

/** A token of the same shape whose random part begins with `head` (HEAD_LENGTH base62 characters, random when absent). */
export function generateOpaqueTokenWithHead(kind: OpaqueKind, head: string = randomBase62(HEAD_LENGTH)): string {
  return opaqueTokenOf(kind, head, randomBase62(TAIL_LENGTH));
}

/** The token of `kind` whose random part is `head` then `tail` (HEAD_LENGTH and TAIL_LENGTH base62 characters), checksum added. */
export function opaqueTokenOf(kind: OpaqueKind, head: string, tail: string): string {
  const body = OPAQUE_PREFIXES[kind] + head + tail;
  return body + checksum(body);
}

/**
 * `length` base62 characters from uniformly random bytes, by the same
 * rejection sampling as randomBase62 (base62OfByte); null when `bytes`
 * holds too few usable ones, for the caller to draw more.
 */
export function base62OfBytes(bytes: Uint8Array, length: number): string | null {
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) out += base62OfByte(bytes[i]!);
  return out.length === length ? out : null;
}

/** The token's kind when its shape and checksum are right; null otherwise. */
export function parseOpaqueToken(token: string): OpaqueKind | null {
  const m = SHAPE.exec(token);
  if (!m) return null;
  const body = m[1]! + m[2]!;
  if (checksum(body) !== m[3]) return null;
  return m[1] === OPAQUE_PREFIXES.refresh ? 'refresh' : 'api';
}

/** Finds every well-formed, correctly checksummed Tessera token in a text (for scanners and log redaction). */
export function findOpaqueTokens(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![0-9A-Za-z_])(tsr_|tsp_)[0-9A-Za-z]{38}(?![0-9A-Za-z])/g)) {
    if (parseOpaqueToken(m[0])) found.push(m[0]);
  }
  return found;
}

export const OPAQUE_TOKEN_LENGTH = 4 + RANDOM_LENGTH + CHECKSUM_LENGTH;
