/**
 * Hourly event counters in Redis: one hash per hour, `${prefix}ec:${hour ms}`,
 * a field per counter (HINCRBY, so instances add up), expiring on its own.
 * One key per call to add(), so it fits any hash slot.
 */
import type { Redis } from 'ioredis';
import { HOUR_MS, type EventCounters, type HourCounts } from '../counter-records.js';
import { guarded } from './connection.js';

export class RedisEventCounters implements EventCounters {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  #key(hourMs: number): string { return `${this.prefix}ec:${hourMs}`; }

  async add(hourMs: number, counts: Readonly<Record<string, number>>, keepUntilMs: number): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n !== 0);
    if (entries.length === 0) return;
    const key = this.#key(hourMs);
    const tx = this.redis.multi();
    for (const [name, n] of entries) tx.hincrby(key, name, n);
    // GT: a later, shorter retention never cuts an hour short. (A new key has no expiry to compare: set it.)
    tx.pexpireat(key, Math.ceil(keepUntilMs), 'GT').pexpireat(key, Math.ceil(keepUntilMs), 'NX');
    await guarded(() => tx.exec());
  }

  async hours(fromHourMs: number, toHourMs: number): Promise<HourCounts[]> {
    const hours: number[] = [];
    for (let hour = fromHourMs; hour <= toHourMs; hour += HOUR_MS) hours.push(hour);
    if (hours.length === 0) return [];
    const replies = await guarded(async () => {
      const pipeline = this.redis.pipeline();
      for (const h of hours) pipeline.hgetall(this.#key(h));
      const all = (await pipeline.exec()) ?? [];
      const failed = all.find(([err]) => err);
      if (failed) throw failed[0];
      return all.map(([, v]) => v as Record<string, string>);
    });
    return hours.map((hour, i) => ({
      hour,
      counts: Object.fromEntries(Object.entries(replies[i] ?? {}).map(([k, v]) => [k, Number(v)])),
    }));
  }
}
