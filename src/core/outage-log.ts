/**
 * What the log says while the store fails: one line when the failures
 * start, a summary every so often while they last, one line when they end.
 * Without it an outage wrote one line per refused request (15,000 in 5 s
 * under load); the per-request lines of such answers go to `debug`
 * (request-log.ts), and the counts are here.
 *
 * Failures counted: requests answered 503 because the store failed
 * (`refused`, by route), and writes a request did not depend on that were
 * skipped (`skipped`: usage records on read paths, audit events, rehashes).
 * The end: the store answers a probe (PING) and nothing failed since the
 * previous probe, so a Redis that answers reads but refuses writes (full,
 * `OOM`) is not taken for recovered while writes keep failing. "Since the
 * previous probe" is the time that probe started, not the nominal interval:
 * on a busy event loop the ticks come late, and a late tick measured against
 * the nominal interval took a store failing every few milliseconds for
 * recovered.
 */
import type { Logger } from 'pino';

/** Where writes that a request does not depend on report their failures. */
export interface SkippedWrites {
  skipped(err: unknown, what: string): void;
}

/**
 * Awaits a write the request does not depend on (a usage record on a read
 * path): a failure is reported to `failures` and never reaches the caller,
 * so reading keeps working when writing cannot (a full Redis answers `OOM`).
 */
export function bestEffort(write: Promise<unknown>, what: string, failures?: SkippedWrites): Promise<void> {
  // A `then`, not an async function: introspection makes one or two of these per request.
  return write.then(ignore, (err: unknown) => {
    failures?.skipped(err, what);
  });
}

function ignore(): void {}

export interface OutageLogOptions {
  /** Answers when the store is reachable again; rejects while it is not. */
  probe: () => Promise<void>;
  /** How often a summary is written while the outage lasts. Default 10 s. */
  summaryEveryMs?: number;
  /** How often the store is probed while the outage lasts. Default 1 s. */
  probeEveryMs?: number;
  now?: () => number;
}

interface Outage {
  since: number;
  cause: string;
  refused: number;
  skipped: Record<string, number>;
  byRoute: Record<string, number>;
  /** Counts since the last summary. */
  recent: number;
  lastFailureAt: number;
  /** When the previous probe started (the outage's start before the first). */
  probedAt: number;
  summaryAt: number;
}

/** Routes counted one by one in a summary; the rest are summed as `(other)`. */
const MAX_ROUTES = 20;

function causeOf(err: unknown): string {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 200);
}

export class OutageLog implements SkippedWrites {
  #outage: Outage | null = null;
  #timer: NodeJS.Timeout | null = null;
  #probing = false;
  readonly #summaryEveryMs: number;
  readonly #probeEveryMs: number;
  readonly #now: () => number;

  constructor(private readonly logger: Logger, private readonly options: OutageLogOptions) {
    this.#summaryEveryMs = options.summaryEveryMs ?? 10_000;
    this.#probeEveryMs = options.probeEveryMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether an outage is under way (for tests and the request log). */
  get active(): boolean {
    return this.#outage !== null;
  }

  /** A request was answered 503 because the store failed. */
  refused(err: unknown, route: string): void {
    const o = this.#failure(err);
    o.refused++;
    const key = route in o.byRoute || Object.keys(o.byRoute).length < MAX_ROUTES ? route : '(other)';
    o.byRoute[key] = (o.byRoute[key] ?? 0) + 1;
  }

  /** A write the request did not depend on failed and was skipped (`what`: usage, audit, rehash). */
  skipped(err: unknown, what: string): void {
    const o = this.#failure(err);
    o.skipped[what] = (o.skipped[what] ?? 0) + 1;
  }

  /** Stops probing (at shutdown); says nothing more. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #failure(err: unknown): Outage {
    const now = this.#now();
    let o = this.#outage;
    if (!o) {
      o = { since: now, cause: causeOf(err), refused: 0, skipped: {}, byRoute: {}, recent: 0, lastFailureAt: now, probedAt: now, summaryAt: now };
      this.#outage = o;
      this.logger.error({ cause: o.cause }, 'the store is failing: requests that need it are answered 503 until it is back; a summary follows every '
        + `${Math.round(this.#summaryEveryMs / 1000)} s`);
      this.#timer = setInterval(() => void this.#tick(), this.#probeEveryMs);
      this.#timer.unref();
    }
    o.recent++;
    o.lastFailureAt = now;
    return o;
  }

  async #tick(): Promise<void> {
    const o = this.#outage;
    if (!o || this.#probing) return;
    this.#probing = true;
    const probedAt = this.#now();
    let up = false;
    try {
      await this.options.probe();
      up = true;
    } catch {
      // still down
    } finally {
      this.#probing = false;
    }
    const now = this.#now();
    // Up, and nothing failed since the previous probe started: over. A
    // failure in the same millisecond as that start counts as after it.
    const previous = o.probedAt;
    o.probedAt = probedAt;
    if (up && o.lastFailureAt < previous) {
      this.close();
      this.#outage = null;
      this.logger.info({ ...this.#counts(o), lasted_ms: now - o.since }, 'the store is back');
      return;
    }
    if (now - o.summaryAt >= this.#summaryEveryMs) {
      this.logger.warn({ ...this.#counts(o), since_ms: now - o.since, in_last_interval: o.recent, cause: o.cause }, 'the store is still failing');
      o.summaryAt = now;
      o.recent = 0;
    }
  }

  #counts(o: Outage): Record<string, unknown> {
    return { refused: o.refused, refused_by_route: { ...o.byRoute }, skipped_writes: { ...o.skipped } };
  }
}
