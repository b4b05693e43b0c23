/**
 * Client records cached in the process, so that a token request does not
 * read its client from Redis each time, with changes reaching every
 * instance within about a second:
 *
 * - Every change of a client (replace, secret rotation or rehash, delete)
 *   publishes the client's id on `clients:changed` (keys.ts) in the same
 *   MULTI as the write (clients.ts), and the writing instance drops its own
 *   copy at once. Every instance subscribes and drops the named copy when
 *   the message arrives: pub/sub latency, milliseconds.
 * - The cache is used only while this instance's subscription is known to
 *   be in place (subscribed, connection open). When the subscriber
 *   connection drops, messages published meanwhile are lost for good, so the
 *   cache is emptied and not used (every read goes to Redis) until the
 *   subscription is back; then it starts empty. A cached record therefore
 *   never outlives a change by more than the message's delivery.
 * - A read that started before a change and answers after its message
 *   arrived could put the old record back; a generation counter bumped by
 *   every message keeps such a read out of the cache.
 * - Entries also expire after TESSERA_CLIENT_CACHE_TTL seconds (a backstop,
 *   not the propagation bound), and at most MAX_ENTRIES are kept (oldest
 *   first out). Unknown ids are never cached, so probing for ids fills
 *   nothing.
 *
 * On a Redis Cluster, PUBLISH (not sharded) reaches subscribers on every
 * node, so the subscriber is one plain connection to one primary; when it
 * ends, another primary is tried. With Sentinel the subscriber follows the
 * primary the sentinels name, like the main connection.
 *
 * Records are kept as the JSON Redis holds and parsed on each use, so no
 * caller can alter the cached copy.
 */
import type { Redis } from 'ioredis';
import type { ClientRecord } from '../store.js';
import type { RedisClient } from './connection.js';
import { openSubscriber, RESUBSCRIBE_DELAY_MS } from './subscriber.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  json: string;
  until: number;
}

export class ClientCache {
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

  /** The record through the cache: `load` reads Redis (the JSON, or null) on a miss. */
  async get(clientId: string, load: () => Promise<string | null>): Promise<ClientRecord | null> {
    if (this.#live) {
      const hit = this.#entries.get(clientId);
      if (hit && hit.until > this.now()) return JSON.parse(hit.json) as ClientRecord;
      if (hit) this.#entries.delete(clientId);
    }
    const generation = this.#generation;
    const json = await load();
    if (json === null) return null;
    // Not when a change (or a subscriber outage) happened while the read was in flight: the JSON may predate it.
    if (this.#live && generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(clientId, { json, until: this.now() + this.ttlMs });
    }
    return JSON.parse(json) as ClientRecord;
  }

  /** Drops the copy of `clientId` (a change made here, or announced by another instance). */
  invalidate(clientId: string): void {
    this.#generation++;
    this.#entries.delete(clientId);
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
    sub.on('message', (channel: string, clientId: string) => {
      if (channel === this.channel) this.invalidate(clientId);
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
    return openSubscriber(this.redis, 'client-changes', this.#nodeIndex++);
  }
}
