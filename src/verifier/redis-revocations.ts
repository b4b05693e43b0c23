/**
 * Revocations read straight from Tessera's Redis (layout in
 * src/store/redis/revocations.ts): `${prefix}revoked:${id}` exists while the
 * token it names could still be used, `${prefix}cutoff:${sub}` holds a user's
 * cut-off in epoch ms. All of a token's keys in ONE MGET, so a check costs
 * one round trip, and a revocation is seen by the next request.
 */
import type { Redis } from 'ioredis';
import { unavailable } from './bearer-errors.js';
import { cutOff, type RevocationQuery, type RevocationSource } from './revocation-check.js';

export class RedisRevocations implements RevocationSource {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async isRevoked(q: RevocationQuery): Promise<boolean> {
    const keys = q.ids.map((id) => `${this.prefix}revoked:${id}`);
    if (q.sub !== null) keys.push(`${this.prefix}cutoff:${q.sub}`);
    let values: Array<string | null>;
    try {
      values = await this.redis.mget(...keys);
    } catch (err) {
      // Fail closed: a token we cannot check is not one we may accept.
      this.onError(err);
      throw unavailable('the revocation list is unavailable; retry shortly');
    }
    if (values.slice(0, q.ids.length).some((v) => v !== null)) return true;
    const cutoffMs = q.sub === null ? null : values[q.ids.length];
    return cutoffMs !== null && cutoffMs !== undefined && cutOff(q.iat, Math.ceil(Number(cutoffMs) / 1000));
  }

  async close(): Promise<void> {
    // The Redis client is the caller's: it closes it.
  }
}
