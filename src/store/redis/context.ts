/**
 * What every Redis repository of the store is built from: the connection,
 * the durable-write path (WAIT, see durable-writes.ts), the key names and
 * how to register a script on every connection the store uses.
 */
import type { RedisClient } from './connection.js';
import type { DurableWrites } from './durable-writes.js';
import type { RedisKeys } from './keys.js';
import { installScript } from './scripts.js';
import type { ReadBatch } from './read-batch.js';

export interface RedisContext {
  /** Reads and ordinary writes. */
  readonly redis: RedisClient;
  /** Writes whose loss would be a security hole. */
  readonly durable: DurableWrites;
  readonly keys: RedisKeys;
  /** True on a Redis Cluster (no legacy single-stream keys to read there). */
  readonly clustered: boolean;
  /** Plain reads that may go out with the other reads of their tick as one MGET (read-batch.ts). */
  readonly reads: Pick<ReadBatch, 'mget'>;
}

/**
 * Registers `lua` as the command `name` (EVALSHA, falling back to EVAL on
 * NOSCRIPT; scripts.ts) on the store's connections; `numberOfKeys`
 * undefined means the caller passes the key count first.
 */
export function defineScript(ctx: RedisContext, name: string, numberOfKeys: number | undefined, lua: string): void {
  installScript(ctx.redis, name, numberOfKeys, lua);
  if (ctx.durable.client !== ctx.redis) installScript(ctx.durable.client, name, numberOfKeys, lua);
}
