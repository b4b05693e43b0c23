/**
 * Records cached in the process, so that a token request does not read its
 * client (clients.ts) or its user and the user's roles (users.ts) from
 * Redis each time, with changes reaching every instance within about a
 * second:
 *
 * - Every change of a record publishes its cache key (a client's id on
 *   `clients:changed`; `u:<id>` or `r:<role>` on `users:changed`, keys.ts)
 *   with the write (in the same MULTI where the write is one command), and
 *   the writing instance drops its own copy before and after the write, so
 *   it never serves the old record once the write is acknowledged. Every
 *   instance subscribes and drops the named copy when the message arrives:
 *   pub/sub latency, milliseconds.
 * - The cache is used only while this instance's subscription is known to
 *   be in place (subscribed, connection open). When the subscriber
 *   connection drops, messages published meanwhile are lost for good, so the
 *   cache is emptied and not used (every read goes to Redis) until the
 *   subscription is back; then it starts empty. A cached record therefore
 *   never outlives a change by more than the message's delivery.
 * - A read that started before a change and answers after its message
 *   arrived could put the old record back; a generation counter bumped by
 *   every message keeps such a read out of the cache.
 * - Entries also expire after TESSERA_CLIENT_CACHE_TTL (clients) or
 *   TESSERA_USER_CACHE_TTL (users and roles) seconds (a backstop, not the
 *   propagation bound), and at most MAX_ENTRIES are kept per cache (oldest
 *   first out). Unknown ids are never cached, so probing for ids fills
 *   nothing.
 *
 * On a Redis Cluster, PUBLISH (not sharded) reaches subscribers on every
 * node, so the subscriber is one plain connection to one primary; when it
 * ends, another primary is tried. With Sentinel the subscriber follows the
 * primary the sentinels name, like the main connection.
 *
 * Records are kept as the JSON Redis holds and parsed on each use (by the
 * repository), so no caller can alter the cached copy.
 */
import type { Redis } from 'ioredis';
import { repliesOf, type RedisClient } from './connection.js';
import type { RedisContext } from './context.js';
import { openSubscriber, RESUBSCRIBE_DELAY_MS } from './subscriber.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  json: string;
  until: number;
}

export class RecordCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;
  #live = false;
  #lost = 0;
  #closed = false;
  #subscriber: Redis | null = null;
  #nodeIndex = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly channel: string,
    private readonly ttlMs: number,
    /** Names the subscriber connection: `<connection name>-<purpose>`. */
    private readonly purpose: string,
    private readonly now: () => number = Date.now,
  ) {
    if (ttlMs > 0) this.#subscribe();
  }

  /** True while cached records may be used (subscribed, connection open). */
  get live(): boolean {
    return this.#live;
  }

  /** How many times the subscription was lost (the cache emptied and bypassed until it was back). */
  get outages(): number {
    return this.#lost;
  }

  /** The record's JSON through the cache: `load` reads Redis (the JSON, or null) on a miss. */
  async get(key: string, load: () => Promise<string | null>): Promise<string | null> {
    const hit = this.peek(key);
    if (hit !== undefined) return hit;
    const generation = this.#generation;
    const json = await load();
    if (json !== null) this.fill(key, json, generation);
    return json;
  }

  /** The cached JSON of `key` while it may be used; undefined otherwise (read Redis). */
  peek(key: string): string | undefined {
    if (!this.#live) return undefined;
    const hit = this.#entries.get(key);
    if (hit && hit.until > this.now()) return hit.json;
    if (hit) this.#entries.delete(key);
    return undefined;
  }

  /** Taken before a read of Redis and given to fill() with its answer. */
  get generation(): number {
    return this.#generation;
  }

  /** Keeps the JSON read from Redis, unless a change (or a subscriber outage) happened since `generation`: the JSON may predate it. */
  fill(key: string, json: string, generation: number): void {
    if (!this.#live || generation !== this.#generation) return;
    if (this.#entries.size >= MAX_ENTRIES && !this.#entries.has(key)) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { json, until: this.now() + this.ttlMs });
  }

  /** Drops the copy of `key` (a change made here, or announced by another instance). */
  invalidate(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stop();
    if (this.#timer) clearTimeout(this.#timer);
    const sub = this.#subscriber;
    this.#subscriber = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  #stop(): void {
    if (this.#live) this.#lost++;
    this.#live = false;
    this.#generation++;
    this.#entries.clear();
  }

  #subscribe(): void {
    if (this.#closed) return;
    const sub = this.#open();
    this.#subscriber = sub;
    sub.on('message', (channel: string, key: string) => {
      if (channel === this.channel) this.invalidate(key);
    });
    // Subscribed explicitly on every (re)connection, and trusted only once Redis confirmed it.
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => { if (this.#subscriber === sub && sub.status === 'ready') this.#live = true; },
        () => sub.disconnect(true),
      );
    });
    sub.on('close', () => this.#stop());
    sub.on('error', () => undefined);
    sub.on('end', () => {
      this.#stop();
      if (this.#closed || this.#subscriber !== sub) return;
      this.#timer = setTimeout(() => this.#subscribe(), RESUBSCRIBE_DELAY_MS);
      this.#timer.unref();
    });
  }

  /** A connection of its own (a subscribed connection can do nothing else), never resubscribing by itself. */
  #open(): Redis {
    return openSubscriber(this.redis, this.purpose, this.#nodeIndex++);
  }
}

/**
 * A durable write of `key` with the announcement of the change (`message`
 * on the cache's channel) in the same MULTI (the PUBLISH has no key, so on
 * a Cluster the transaction goes to the record's node and Redis spreads the
 * message to every node). This instance's copy (`message` is its cache key)
 * is dropped before and after, so it never serves the old record once the
 * write is acknowledged. The answer of the write's first command.
 */
export async function announcedWrite<T>(
  ctx: RedisContext, cache: RecordCache, message: string, key: string, write: (tx: ReturnType<RedisClient['multi']>) => void,
): Promise<T> {
  cache.invalidate(message);
  try {
    const replies = await ctx.durable.write(key, async (c) => {
      const tx = c.multi();
      write(tx);
      return repliesOf(await tx.publish(cache.channel, message).exec());
    });
    return replies[0] as T;
  } finally {
    cache.invalidate(message);
  }
}

/** A change written by a step of its own (a script), then announced: the copy here is dropped before and after. */
export async function announcedAfter<T>(ctx: RedisContext, cache: RecordCache, message: string, key: string, write: () => Promise<T>, changed: (answer: T) => boolean): Promise<T> {
  cache.invalidate(message);
  try {
    const answer = await write();
    if (changed(answer)) await ctx.durable.write(key, (c) => c.publish(cache.channel, message));
    return answer;
  } finally {
    cache.invalidate(message);
  }
}
