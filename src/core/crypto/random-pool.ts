/**
 * Random bytes drawn from a pool filled 4 KiB at a time from node:crypto
 * (OpenSSL's CSPRNG): one call into OpenSSL per 4 KiB instead of one per
 * token or IV (randomBytes() does not pool; randomUUID() pools the same
 * way). Every byte is handed out once. Worker processes (node:cluster)
 * start afresh, so no two share a pool.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let at = POOL_SIZE;

/** One uniformly random byte (0-255). */
export function randomByte(): number {
  if (at === POOL_SIZE) {
    randomFillSync(pool);
    at = 0;
  }
  return pool[at++]!;
}

/** `length` random bytes in a Buffer of their own (at most POOL_SIZE). */
export function pooledRandomBytes(length: number): Buffer {
  if (length > POOL_SIZE - at) {
    randomFillSync(pool);
    at = 0;
  }
  const out = Buffer.allocUnsafe(length);
  pool.copy(out, 0, at, at + length);
  at += length;
  return out;
}
