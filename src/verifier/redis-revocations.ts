/**
 * Revocations read straight from Tessera's Redis (names in
 * src/store/redis/keys.ts): `revoked:<id>` exists while the token it names
 * could still be used, `cutoff:<sub>` holds a user's cut-off in epoch ms.
 * All of a token's keys in one round trip (one MGET; on a Cluster, one per
 * slot, sent together), and a revocation is seen by the next request.
 */
import { RedisKeys } from '../store/redis/keys.js';
import { mgetAnySlot } from '../store/redis/cross-slot.js';
import type { TesseraRedis } from './options.js';
import { unavailable } from './bearer-errors.js';
import { cutOff, type RevocationQuery, type RevocationSource } from './revocation-check.js';

export class RedisRevocations implements RevocationSource {
  readonly #keys: RedisKeys;

  constructor(
    private readonly redis: TesseraRedis,
    prefix: string,
    private readonly onError: (err: unknown) => void,
  ) {
    this.#keys = new RedisKeys(prefix);
  }

  async isRevoked(q: RevocationQuery): Promise<boolean> {
    const keys = q.ids.map((id) => this.#keys.revoked(id));
    if (q.sub !== null) keys.push(this.#keys.userCutoff(q.sub));
    let values: Array<string | null>;
    try {
      values = await mgetAnySlot(this.redis, keys);
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
