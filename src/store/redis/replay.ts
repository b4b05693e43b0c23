/**
 * One-time identifiers and server secrets in Redis (names in keys.ts):
 *   `jti:<sha256(key)>`   "1", PXAT the end of the JWT it names
 *   `secret:<name>`       a server-held secret (no TTL)
 * The replay key is hashed so that its length and characters are fixed
 * whatever `jti` a caller sends. A claim is one SET NX: atomic, one key,
 * and confirmed by a replica when there is one (a claim lost in a failover
 * would let the JWT be used once more).
 */
import { createHash } from 'node:crypto';
import type { ReplayCache, ServerSecrets } from '../replay-records.js';
import type { RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';
import { RedisKeys } from './keys.js';

/** The Redis key of a one-time identifier; tessera/verifier's DPoP replay cache uses the same layout. */
export function replayKey(prefix: string, key: string): string {
  return new RedisKeys(prefix).oneTimeId(createHash('sha256').update(key, 'utf8').digest('base64url'));
}

/** SET NX PXAT: true the first time. Shared with tessera/verifier. */
export async function claimOnce(redis: RedisClient, redisKey: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
  // A PXAT in the past is refused by Redis; such a JWT can no longer be accepted anyway.
  if (expiresAtMs <= nowMs) return true;
  const answer = await redis.set(redisKey, '1', 'PXAT', Math.ceil(expiresAtMs), 'NX');
  return answer === 'OK';
}

export class RedisReplayCache implements ReplayCache {
  constructor(private readonly ctx: RedisContext, private readonly now: () => number = Date.now) {}

  claim(key: string, expiresAtMs: number): Promise<boolean> {
    const redisKey = replayKey(this.ctx.keys.prefix, key);
    return this.ctx.durable.write(redisKey, (c) => claimOnce(c, redisKey, expiresAtMs, this.now()));
  }
}

// KEYS: the secret. ARGV: candidate. SET NX then GET in one step (SET ... NX GET needs Redis 7).
const GET_OR_CREATE = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

interface Scripts {
  tesseraSecret(key: string, candidate: string): Promise<string>;
}

export class RedisServerSecrets implements ServerSecrets {
  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraSecret', 1, GET_OR_CREATE);
  }

  getOrCreate(name: string, candidate: string): Promise<string> {
    const key = this.ctx.keys.serverSecret(name);
    // Confirmed by a replica: instances must never end up holding two different secrets of one name.
    return this.ctx.durable.write(key, (c) => (c as RedisClient & Scripts).tesseraSecret(key, candidate));
  }
}
