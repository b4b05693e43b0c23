/**
 * A Redis with any `maxmemory-policy` but `noeviction` deletes keys when it
 * runs short of memory, and Tessera's keys are not a cache: an evicted
 * revocation lets a revoked token back in, an evicted client or refresh
 * family breaks sign-ins. So Tessera refuses to start on such a Redis
 * unless TESSERA_REDIS_ALLOW_EVICTION says to, and if the policy changes
 * while it runs, /readyz reports it (503 unless allowed) and so does
 * `tessera_store_evicts_keys`.
 */
import { ConfigError } from './errors.js';

/** Whether a store with this policy may delete keys on its own (null: a store that never does, or cannot tell). */
export function evicts(policy: string | null): policy is string {
  return policy !== null && policy !== 'noeviction';
}

/** Throws the start-up error (exit 2) when the store may evict keys and that is not allowed. */
export function assertNoEviction(policy: string | null, allowed: boolean): void {
  if (!evicts(policy) || allowed) return;
  throw new ConfigError([
    `Redis has maxmemory-policy ${policy}: under memory pressure it deletes keys, and a deleted revocation brings a revoked token back. ` +
      'Set it to noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf), or set TESSERA_REDIS_ALLOW_EVICTION=true to start anyway',
  ]);
}
