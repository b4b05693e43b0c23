/**
 * Runs Tessera's background jobs (token hygiene, scheduled key rotation) on
 * every instance, each job under a lease in the store so that one instance
 * at a time does it while the others stand by; if that instance dies, its
 * lease runs out and another takes over. A job that fails (the store is
 * down) is logged once per distinct error and tried again at its next turn.
 * Timers are unref'd: background work never keeps a process alive.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';

export interface BackgroundJob {
  /** Its lease's name; also how logs name it. */
  readonly name: string;
  /** How long one run may take at most: the lease lasts this long. */
  readonly leaseMs: number;
  /** Does one turn; resolves with how long to wait before the next (ms). */
  run(): Promise<number>;
}

export interface JobOutcome {
  ran: boolean;
  /** When it wants to run next, from now (ms). */
  nextInMs: number;
}

/** When a run failed or another instance holds the lease: look again after this long (or the job's own wish, if sooner). */
const RETRY_MS = 10_000;

export class JobRunner {
  /** This instance, as lease holder. */
  readonly holder = `${process.pid}-${randomBytes(6).toString('hex')}`;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #running = new Map<string, Promise<JobOutcome>>();
  readonly #lastError = new Map<string, string>();
  #stopped = true;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly jobs: readonly BackgroundJob[],
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    for (const job of this.jobs) this.#schedule(job, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([...this.#running.values()].map((p) => p.catch(() => undefined)));
  }

  /**
   * One turn of the named job now, if this instance gets its lease (tests,
   * and the timers). Concurrent calls share one turn. Rejects when the job
   * fails.
   */
  runOnce(name: string): Promise<JobOutcome> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) return Promise.reject(new Error(`no background job ${name}`));
    let turn = this.#running.get(name);
    if (!turn) {
      turn = this.#turn(job).finally(() => this.#running.delete(name));
      this.#running.set(name, turn);
    }
    return turn;
  }

  async #turn(job: BackgroundJob): Promise<JobOutcome> {
    if (!(await this.store.jobs.acquireLease(job.name, this.holder, this.now() + job.leaseMs))) {
      return { ran: false, nextInMs: RETRY_MS };
    }
    try {
      return { ran: true, nextInMs: await job.run() };
    } finally {
      // Kept until it runs out would delay a takeover after this instance stops; given back, the next turn is anyone's.
      await this.store.jobs.releaseLease(job.name, this.holder).catch(() => undefined);
    }
  }

  #schedule(job: BackgroundJob, ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => void this.#tick(job), Math.max(0, ms));
    timer.unref();
    this.#timers.set(job.name, timer);
  }

  async #tick(job: BackgroundJob): Promise<void> {
    let next = RETRY_MS;
    try {
      const outcome = await this.runOnce(job.name);
      next = outcome.ran ? outcome.nextInMs : Math.min(RETRY_MS, outcome.nextInMs);
      if (this.#lastError.delete(job.name)) this.logger.info({ job: job.name }, 'background job running again');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.#lastError.get(job.name) !== message) this.logger.warn({ job: job.name, err: message }, 'background job failed; will retry');
      this.#lastError.set(job.name, message);
    }
    this.#schedule(job, next);
  }
}
