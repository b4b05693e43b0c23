/**
 * Hourly event counters in Redis: one hash per hour, `ec:<hour ms>`
 * (keys.ts), a field per counter (HINCRBY, so instances add up), expiring
 * on its own. One key per call to add(), so it fits any hash slot; hours are
 * read with one command each, sent together (they are in different slots).
 */
import { HOUR_MS, type EventCounters, type HourCounts } from '../counter-records.js';
import { guarded } from './connection.js';
import type { RedisContext } from './context.js';

export class RedisEventCounters implements EventCounters {
  constructor(private readonly ctx: RedisContext) {}

  #key(hourMs: number): string { return this.ctx.keys.eventCounters(hourMs); }

  async add(hourMs: number, counts: Readonly<Record<string, number>>, keepUntilMs: number): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n !== 0);
    if (entries.length === 0) return;
    const key = this.#key(hourMs);
    const tx = this.ctx.redis.multi();
    for (const [name, n] of entries) tx.hincrby(key, name, n);
    // GT: a later, shorter retention never cuts an hour short. (A new key has no expiry to compare: set it.)
    tx.pexpireat(key, Math.ceil(keepUntilMs), 'GT').pexpireat(key, Math.ceil(keepUntilMs), 'NX');
    await guarded(() => tx.exec());
  }

  async hours(fromHourMs: number, toHourMs: number): Promise<HourCounts[]> {
    const hours: number[] = [];
    for (let hour = fromHourMs; hour <= toHourMs; hour += HOUR_MS) hours.push(hour);
    if (hours.length === 0) return [];
    const replies = await guarded(() => Promise.all(hours.map((h) => this.ctx.redis.hgetall(this.#key(h)))));
    return hours.map((hour, i) => ({
      hour,
      counts: Object.fromEntries(Object.entries(replies[i] ?? {}).map(([k, v]) => [k, Number(v)])),
    }));
  }
}
