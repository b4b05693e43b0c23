/**
 * SHA-256 (FIPS 180-4) of a string, as bytes, for the per-request paths (a
 * refresh rotation hashes four times, every client authentication once).
 * crypto.hash() is asked for hex and the hex is decoded into Node's shared
 * buffer pool: its 'buffer' output gives every digest a backing store of its
 * own, allocated outside the heap and freed by the garbage collector, which
 * costs about half as much again as the hash itself. The bytes are the same.
 */
import { hash } from 'node:crypto';

export function sha256(value: string): Buffer {
  return Buffer.from(hash('sha256', value, 'hex'), 'hex');
}
