/**
 * Reads of several keys that need not share a slot (a page of records, a
 * token's revocation entries with its user's cut-off). One MGET on a single
 * server; on a Cluster one MGET per slot, all sent at once (ioredis groups
 * them per node), so it is still one round trip per node.
 */
import type { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { slotOf } from './keys.js';

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/** The values of `keys`, in their order (null for a missing key). */
export async function mgetAnySlot(redis: RedisClient, keys: readonly string[]): Promise<Array<string | null>> {
  if (keys.length === 0) return [];
  if (!isCluster(redis)) return redis.mget(...keys);
  const bySlot = new Map<number, number[]>();
  keys.forEach((key, i) => {
    const slot = slotOf(key);
    const group = bySlot.get(slot);
    if (group) group.push(i);
    else bySlot.set(slot, [i]);
  });
  const values = new Array<string | null>(keys.length).fill(null);
  await Promise.all([...bySlot.values()].map(async (indexes) => {
    const got = await redis.mget(...indexes.map((i) => keys[i]!));
    indexes.forEach((i, j) => { values[i] = got[j] ?? null; });
  }));
  return values;
}
