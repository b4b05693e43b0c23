/** Hourly event counters in memory, as src/store/redis/counters.ts keeps them. */
import { HOUR_MS, type EventCounters, type HourCounts } from '../counter-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryEventCounters implements EventCounters {
  readonly map: ExpiringMap<Record<string, number>>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async add(hourMs: number, counts: Readonly<Record<string, number>>, keepUntilMs: number): Promise<void> {
    this.assertOpen();
    const key = String(hourMs);
    const hour = this.map.get(key) ?? {};
    for (const [name, n] of Object.entries(counts)) hour[name] = (hour[name] ?? 0) + n;
    this.map.set(key, hour, Math.max(keepUntilMs, this.map.expiresAt(key) ?? 0));
  }

  async hours(fromHourMs: number, toHourMs: number): Promise<HourCounts[]> {
    this.assertOpen();
    const out: HourCounts[] = [];
    for (let hour = fromHourMs; hour <= toHourMs; hour += HOUR_MS) out.push({ hour, counts: { ...(this.map.get(String(hour)) ?? {}) } });
    return out;
  }
}
