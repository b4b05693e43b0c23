/**
 * A small time-bounded cache with a size cap: entries expire on their own
 * deadline and, when full, the oldest insertion goes first (a Map iterates
 * in insertion order). Bounded so that a flood of made-up tokens cannot
 * grow memory without limit.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.nowMs()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0 || this.maxEntries <= 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, until: this.nowMs() + ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
