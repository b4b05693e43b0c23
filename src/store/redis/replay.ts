/**
 * One-time identifiers and server secrets in Redis:
 *   `${prefix}jti:${sha256(key)}`   "1", PXAT the end of the JWT it names
 *   `${prefix}secret:${name}`       a server-held secret (no TTL)
 * The replay key is hashed so that its length and characters are fixed
 * whatever `jti` a caller sends. A claim is one SET NX: atomic, one key.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ReplayCache, ServerSecrets } from '../replay-records.js';
import { guarded } from './connection.js';

/** The Redis key of a one-time identifier; tessera/verifier's DPoP replay cache uses the same layout. */
export function replayKey(prefix: string, key: string): string {
  return `${prefix}jti:${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

/** SET NX PXAT: true the first time. Shared with tessera/verifier. */
export async function claimOnce(redis: Redis, redisKey: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
  // A PXAT in the past is refused by Redis; such a JWT can no longer be accepted anyway.
  if (expiresAtMs <= nowMs) return true;
  const answer = await redis.set(redisKey, '1', 'PXAT', Math.ceil(expiresAtMs), 'NX');
  return answer === 'OK';
}

export class RedisReplayCache implements ReplayCache {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly now: () => number = Date.now) {}

  claim(key: string, expiresAtMs: number): Promise<boolean> {
    return guarded(() => claimOnce(this.redis, replayKey(this.prefix, key), expiresAtMs, this.now()));
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
  readonly #redis: Redis & Scripts;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraSecret', { numberOfKeys: 1, lua: GET_OR_CREATE });
    this.#redis = redis as Redis & Scripts;
  }

  getOrCreate(name: string, candidate: string): Promise<string> {
    return guarded(() => this.#redis.tesseraSecret(`${this.prefix}secret:${name}`, candidate));
  }
}
