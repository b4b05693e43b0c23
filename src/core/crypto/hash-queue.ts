/**
 * Bounds how many slow password hashes run at once. A scrypt at Tessera's
 * default cost holds 128 MiB and a libuv thread for about half a second, so
 * unbounded parallel logins or failed client authentications would exhaust
 * memory and starve every other use of the thread pool (file reads, DNS).
 * Hashes beyond `concurrency` wait in order; beyond `maxWaiting` waiting,
 * the request is refused at once (BusyError, a 503 with Retry-After) rather
 * than queued for longer than any client waits.
 */
import { BusyError } from '../errors.js';

export class HashQueue {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {
    if (!(concurrency >= 1) || !(maxWaiting >= 0)) throw new RangeError('concurrency must be at least 1 and maxWaiting at least 0');
  }

  /** Hashes running now and waiting (for metrics and tests). */
  get depth(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.concurrency) {
      this.#running++;
    } else {
      if (this.#waiting.length >= this.maxWaiting) throw new BusyError('too many password checks are waiting; retry shortly');
      // The slot is handed over by the task that finishes (see below), so #running stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
