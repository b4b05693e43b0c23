/**
 * When a failed delivery is tried again: the schedule the Standard Webhooks
 * authors (Svix) use, about 27.6 hours from the first attempt to the last,
 * so that a receiver down for a day still gets every event. Each wait is
 * lengthened by up to 10 % at random, so that deliveries that failed
 * together (a receiver's outage) do not all come back at the same instant.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery is dead. */
export const RETRY_WAITS_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

/** Attempts in all: the first plus one after each wait. */
export const MAX_ATTEMPTS = RETRY_WAITS_MS.length + 1;

/** How long after the `attempts`-th failed attempt the next one is due; null once every attempt has failed. */
export function nextWaitMs(attempts: number, random: () => number = Math.random): number | null {
  const wait = RETRY_WAITS_MS[attempts - 1];
  if (wait === undefined) return null;
  return Math.round(wait * (1 + 0.1 * random()));
}
