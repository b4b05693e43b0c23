/**
 * Picks the store from configuration: Redis (one server, Sentinel or
 * Cluster) when one is configured, otherwise the in-memory store, so a
 * fresh clone runs with no setup at all.
 */
import { MemoryStore } from './memory-store.js';
import { connectRedisStore } from './redis-store.js';
import type { WaitPolicy } from './redis/durable-writes.js';
import type { RedisTopology } from './redis/topology.js';
import type { Store } from './store.js';

export interface CreateStoreOptions {
  /** `REDIS_URL`: one server. Unset or empty (and no topology) means the in-memory store. */
  redisUrl?: string | undefined;
  /** Any topology (config.redis); wins over redisUrl. */
  topology?: RedisTopology | null | undefined;
  /** `TESSERA_REDIS_PREFIX`; ignored by the in-memory store. */
  prefix: string;
  /** WAIT for security-critical writes; ignored by the in-memory store. */
  wait?: WaitPolicy | undefined;
  /** Told about Redis connection errors. */
  onError?: ((err: unknown) => void) | undefined;
  /** Told about conditions worth a warning (a primary lost its replicas). */
  onWarning?: ((message: string) => void) | undefined;
  /** TESSERA_CLIENT_CACHE_TTL in ms (0 = no cache); ignored by the in-memory store, which is in-process already. */
  clientCacheTtlMs?: number | undefined;
  /** TESSERA_USER_CACHE_TTL in ms (0 = no cache); ignored by the in-memory store. */
  userCacheTtlMs?: number | undefined;
}

/** Throws StoreUnavailableError when Redis is configured but cannot be reached within a few seconds. */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  const topology = options.topology ?? (options.redisUrl ? { mode: 'single' as const, url: options.redisUrl } : null);
  if (topology) {
    return connectRedisStore({
      topology, prefix: options.prefix, wait: options.wait, onError: options.onError, onWarning: options.onWarning,
      clientCacheTtlMs: options.clientCacheTtlMs, userCacheTtlMs: options.userCacheTtlMs,
    });
  }
  return new MemoryStore();
}
