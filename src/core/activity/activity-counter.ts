/**
 * Counts, by the hour, the audit events an overview shows (tokens issued,
 * reuse detections, refusals, revocations...). Tee'd beside the audit log as
 * the metrics sink is, so the core records each fact once. Counts gather in
 * memory and are added to the store every few seconds (and on close): the
 * token endpoint's hot path gets no extra write, and several instances add
 * up in the store. A crash loses at most one interval of counts, which an
 * overview can afford; the audit log keeps every event.
 */
import type { Logger } from 'pino';
import type { AuditEvent, AuditSink } from '../audit.js';
import { HOUR_MS, hourOf, type EventCounters } from '../../store/counter-records.js';

/** The events counted, by audit event type. */
export const COUNTED_EVENTS = [
  'token.issued',
  'token.revoked',
  'refresh_token.reuse_detected',
  'authorization_code.reuse_detected',
  'api_token.created',
  'api_token.revoked',
  'api_token.refused',
  'token.leak_reported',
  'session.revoked',
  'rate_limit.hit',
  'login.succeeded',
  'login.failed',
  'client.authentication_failed',
] as const;
export type CountedEvent = (typeof COUNTED_EVENTS)[number];

const COUNTED = new Set<string>(COUNTED_EVENTS);

/** Hours the store keeps: a week to chart, and a day's margin. */
export const COUNTER_RETENTION_MS = 8 * 24 * HOUR_MS;
export const FLUSH_INTERVAL_MS = 5_000;

export class ActivityCounter implements AuditSink {
  /** hour start → event type → count, not yet in the store. */
  #pending = new Map<number, Map<string, number>>();
  #flushing: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly counters: EventCounters,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    intervalMs = FLUSH_INTERVAL_MS,
  ) {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    // The counter must never be what keeps the process alive.
    this.#timer.unref();
  }

  record(event: AuditEvent): void {
    if (!COUNTED.has(event.type)) return;
    const hour = hourOf(this.now());
    let counts = this.#pending.get(hour);
    if (!counts) this.#pending.set(hour, (counts = new Map()));
    counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  }

  /** Adds what is pending to the store; resolves once this instance's counts so far are there (or were put back on failure). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    for (const [hour, counts] of batch) {
      try {
        await this.counters.add(hour, Object.fromEntries(counts), hour + HOUR_MS + COUNTER_RETENTION_MS);
      } catch (err) {
        // Kept for the next flush: a store outage delays counts, it does not lose them.
        let pending = this.#pending.get(hour);
        if (!pending) this.#pending.set(hour, (pending = new Map()));
        for (const [type, n] of counts) pending.set(type, (pending.get(type) ?? 0) + n);
        this.logger.warn({ err: String(err) }, 'could not store activity counts; retrying at the next flush');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
