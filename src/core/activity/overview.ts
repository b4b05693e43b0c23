/**
 * The overview of a Tessera: how many API tokens are active, expire soon or
 * lie unused, and what happened hour by hour (from the activity counters).
 */
import type { Store } from '../../store/store.js';
import { HOUR_MS, hourOf } from '../../store/counter-records.js';
import { COUNTED_EVENTS, type ActivityCounter, type CountedEvent } from './activity-counter.js';

export const EXPIRING_WITHIN_MS = 7 * 24 * HOUR_MS;
export const UNUSED_FOR_MS = 30 * 24 * HOUR_MS;
export const MAX_HOURS = 168;

export type EventCounts = Record<CountedEvent, number>;

export interface OverviewView {
  generated_at: string;
  api_tokens: { active: number; expiring_within_7_days: number; unused_for_30_days: number };
  /** How many hours `events` and `hourly` cover: the current hour and the ones before it. */
  hours: number;
  /** Totals over those hours. */
  events: EventCounts;
  /** Oldest first; `hour` is the hour's start. */
  hourly: Array<{ hour: string; events: EventCounts }>;
}

function counts(from: Readonly<Record<string, number>>): EventCounts {
  return Object.fromEntries(COUNTED_EVENTS.map((t) => [t, from[t] ?? 0])) as EventCounts;
}

export class Overview {
  constructor(
    private readonly store: Store,
    private readonly activity: ActivityCounter,
    private readonly now: () => number = Date.now,
  ) {}

  async get(hours: number): Promise<OverviewView> {
    // This instance's latest counts first, so what was just done shows at once.
    await this.activity.flush();
    const now = this.now();
    const current = hourOf(now);
    const [census, series] = await Promise.all([
      this.store.apiTokens.census(now, now + EXPIRING_WITHIN_MS, now - UNUSED_FOR_MS),
      this.store.counters.hours(current - (hours - 1) * HOUR_MS, current),
    ]);
    const totals: Record<string, number> = {};
    for (const h of series) for (const [t, n] of Object.entries(h.counts)) totals[t] = (totals[t] ?? 0) + n;
    return {
      generated_at: new Date(now).toISOString(),
      api_tokens: { active: census.active, expiring_within_7_days: census.expiring, unused_for_30_days: census.unused },
      hours,
      events: counts(totals),
      hourly: series.map((h) => ({ hour: new Date(h.hour).toISOString(), events: counts(h.counts) })),
    };
  }
}
