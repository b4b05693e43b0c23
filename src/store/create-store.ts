/**
 * Picks the store from configuration: Redis when a URL is given, otherwise
 * the in-memory store, so a fresh clone runs with no setup at all.
 */
import { MemoryStore } from './memory-store.js';
import { connectRedisStore } from './redis-store.js';
import type { Store } from './store.js';

export interface CreateStoreOptions {
  /** `REDIS_URL`; unset or empty means the in-memory store. */
  redisUrl?: string | undefined;
  /** `TESSERA_REDIS_PREFIX`; ignored by the in-memory store. */
  prefix: string;
  /** Told about Redis connection errors. */
  onError?: ((err: unknown) => void) | undefined;
}

/** Throws StoreUnavailableError when Redis is configured but cannot be reached within a few seconds. */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  if (options.redisUrl) {
    return connectRedisStore({ url: options.redisUrl, prefix: options.prefix, onError: options.onError });
  }
  return new MemoryStore();
}
