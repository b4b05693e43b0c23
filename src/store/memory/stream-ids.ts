/**
 * Redis stream ids (`<epoch ms>-<seq>`) for the memory store's append-only
 * lists (audit log, revocation feed), so ids, order and cursors behave as
 * the Redis store's do: increasing, and never going backwards with the clock.
 */
export class StreamIds {
  #ms = 0;
  #seq = 0;

  next(nowMs: number): string {
    const ms = Math.max(Math.floor(nowMs), this.#ms);
    this.#seq = ms === this.#ms ? this.#seq + 1 : 0;
    this.#ms = ms;
    return `${ms}-${this.#seq}`;
  }
}

export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** The epoch ms an id was appended at. */
export const streamIdMs = (id: string): number => Number(id.split('-')[0]);
