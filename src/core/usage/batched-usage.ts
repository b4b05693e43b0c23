/**
 * Usage counts off the read path. Introspection and the verifier count every
 * use of a token (which routes it touched, which scopes it exercised), but a
 * read should not wait on a write: uses are merged in memory (usage-batch.ts)
 * and written every `intervalMs`, or sooner once `flushAtKeys` keys wait, all
 * of a flush's tallies issued together (over the store's connection, in one
 * write; src/store/redis/connection.ts). A clean stop writes what waits
 * (close()). What others read lags by up to one interval; this instance's
 * own reads (get) flush first, so they see every use it counted.
 *
 * Bounded and best effort: past `maxKeys` waiting keys a use of a new key is
 * dropped; a tally whose write fails is dropped. Both are counted
 * (onDropped) and a failure is reported (onFailure), never to the request.
 */
import type { TokenUsage, TokenUse, UsageRepository, UsageTally } from '../../store/usage-records.js';
import { UsageBatch, usesIn } from './usage-batch.js';

export type UsageDropReason = 'full' | 'failed';

export interface UsageFlushOptions {
  /** How often what waits is written, ms. */
  intervalMs: number;
  /** Waiting keys that start a flush before the interval is up. Default 1000. */
  flushAtKeys?: number;
  /** Keys that may wait at most (while a flush is slow); a use of a new key past it is dropped. Default 10 × flushAtKeys. */
  maxKeys?: number;
  /** Uses that were not counted: dropped for want of room (`full`) or in a failed write (`failed`). */
  onDropped?: (uses: number, reason: UsageDropReason) => void;
  /** A tally's write failed (the error says nothing secret: a store error, not the key). */
  onFailure?: (err: unknown) => void;
}

export const DEFAULT_FLUSH_AT_KEYS = 1000;
const RESOLVED = Promise.resolve();

/** The accumulator and its timer; `write` adds one key's tally (one script). */
export class UsageFlusher {
  readonly #batch: UsageBatch;
  readonly #flushAt: number;
  readonly #timer: NodeJS.Timeout;
  /** The flush that has not started yet, if any: later callers join it. */
  #queued: Promise<void> | null = null;
  #last: Promise<void> = RESOLVED;

  constructor(private readonly write: (key: string, tally: UsageTally) => Promise<void>, private readonly options: UsageFlushOptions) {
    this.#flushAt = options.flushAtKeys ?? DEFAULT_FLUSH_AT_KEYS;
    this.#batch = new UsageBatch(options.maxKeys ?? 10 * this.#flushAt);
    this.#timer = setInterval(() => void this.flush(), options.intervalMs);
    // Counting must never be what keeps the process alive.
    this.#timer.unref();
  }

  /** Counts one use; returns at once. */
  note(key: string, use: TokenUse, expiresAtMs: number): void {
    if (!this.#batch.note(key, use, expiresAtMs)) this.options.onDropped?.(1, 'full');
    else if (this.#batch.size >= this.#flushAt) void this.flush();
  }

  /** Adds a tally of several uses; returns at once. */
  merge(key: string, tally: UsageTally): void {
    if (tally.expiresAtMs <= tally.atMs) return;
    if (!this.#batch.merge(key, tally)) this.options.onDropped?.(usesIn(tally), 'full');
    else if (this.#batch.size >= this.#flushAt) void this.flush();
  }

  /** Writes what waits; resolves once every use counted before the call is written (or dropped as failed). Never rejects. */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#last.then(() => {
      this.#queued = null;
      return this.#writeAll();
    });
    this.#queued = next;
    this.#last = next;
    return next;
  }

  /** Stops the timer and writes what waits (a clean stop loses no counts). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #writeAll(): Promise<void> {
    const tallies = this.#batch.take();
    if (tallies.length === 0) return;
    // Issued together, so that they leave in one write.
    const results = await Promise.allSettled(tallies.map(async ([key, tally]) => this.write(key, tally)));
    let lost = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      lost += usesIn(tallies[i]![1]);
      this.options.onFailure?.(r.reason);
    });
    if (lost > 0) this.options.onDropped?.(lost, 'failed');
  }
}

/** A UsageRepository whose writes are batched (UsageFlusher) and whose reads see this instance's counts. */
export class BatchedUsage implements UsageRepository {
  readonly #flusher: UsageFlusher;

  constructor(private readonly inner: UsageRepository, options: UsageFlushOptions) {
    this.#flusher = new UsageFlusher((key, tally) => inner.add(key, tally), options);
  }

  /** Counted in memory; written at the next flush. */
  record(key: string, use: TokenUse, expiresAtMs: number): Promise<void> {
    this.#flusher.note(key, use, expiresAtMs);
    return RESOLVED;
  }

  add(key: string, tally: UsageTally): Promise<void> {
    this.#flusher.merge(key, tally);
    return RESOLVED;
  }

  /** After a flush: what this instance counted is there (other instances' counts lag by up to their interval). */
  async get(key: string): Promise<TokenUsage | null> {
    await this.#flusher.flush();
    return this.inner.get(key);
  }

  flush(): Promise<void> {
    return this.#flusher.flush();
  }

  close(): Promise<void> {
    return this.#flusher.close();
  }
}
