/**
 * Event counters by the hour (tokens issued, reuse detections, refusals...):
 * what an overview charts without reading the audit log back. One record per
 * hour, each counter added to atomically, so several instances sum up; every
 * hour expires on its own after the retention the caller gives.
 */

export interface HourCounts {
  /** Epoch ms of the start of the hour (UTC). */
  hour: number;
  /** Counter name → count; a counter never added to this hour is absent. */
  counts: Record<string, number>;
}

export interface EventCounters {
  /** Adds `counts` to the hour starting at `hourMs`; the hour is kept until `keepUntilMs`. */
  add(hourMs: number, counts: Readonly<Record<string, number>>, keepUntilMs: number): Promise<void>;
  /** Every hour from `fromHourMs` to `toHourMs` inclusive, oldest first; an hour with nothing has `counts: {}`. */
  hours(fromHourMs: number, toHourMs: number): Promise<HourCounts[]>;
}

export const HOUR_MS = 3_600_000;

/** The start of the hour `atMs` falls in. */
export function hourOf(atMs: number): number {
  return atMs - (atMs % HOUR_MS);
}
