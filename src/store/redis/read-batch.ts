/**
 * Plain reads of string keys made in the same tick, sent as one MGET. At
 * introspection the caller's failed-authentication count (a peek, GET) and
 * the token's revocation entries and cut-off (MGET) are read together: one
 * command instead of two, so one reply to parse, one command object and one
 * timer less for ioredis, and one command less for Redis to dispatch, per
 * request. The MGET leaves at the end of the tick (process.nextTick), before
 * the connection sends the turn's commands (setImmediate,
 * turn-batched-redis.ts), so it still shares the round trip of every other
 * command of that tick.
 *
 * Only for reads that a newer value serves as well as the one at the moment
 * of the call (a counter peeked, revocation entries): a write sent later in
 * the same tick may be seen. Single server only: on a Cluster the keys of
 * one tick need not share a slot, and each read is sent as it comes
 * (mgetAnySlot, one MGET per slot).
 */
import type { RedisClient } from './connection.js';
import { isCluster, mgetAnySlot } from './cross-slot.js';

/** What a ReadBatch needs of a connection. */
export interface MgetClient {
  mget(...keys: string[]): Promise<Array<string | null>>;
}

interface Waiting {
  from: number;
  count: number;
  resolve(values: Array<string | null>): void;
  reject(err: unknown): void;
}

export class ReadBatch {
  #keys: string[] = [];
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(private readonly redis: MgetClient) {}

  /** The values of `keys`, in their order (null for a missing key), read with the other reads of this tick. */
  mget(keys: readonly string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ from: this.#keys.length, count: keys.length, resolve, reject });
      for (const key of keys) this.#keys.push(key);
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(this.#send);
      }
    });
  }

  readonly #send = (): void => {
    const keys = this.#keys;
    const waiting = this.#waiting;
    this.#keys = [];
    this.#waiting = [];
    this.#scheduled = false;
    let sent: Promise<Array<string | null>>;
    try {
      sent = this.redis.mget(...keys);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (values) => {
        if (waiting.length === 1) return waiting[0]!.resolve(values);
        for (const w of waiting) w.resolve(values.slice(w.from, w.from + w.count));
      },
      (err: unknown) => {
        for (const w of waiting) w.reject(err);
      },
    );
  };
}

/** Reads through a batch on a single server; on a Cluster each read as it comes, per slot. */
export function readBatchOf(redis: RedisClient): Pick<ReadBatch, 'mget'> {
  if (!isCluster(redis)) return new ReadBatch(redis);
  return { mget: (keys) => mgetAnySlot(redis, keys) };
}
