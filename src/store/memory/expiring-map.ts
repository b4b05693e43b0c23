/** A map whose entries expire at an absolute time (epoch ms), checked on read and by sweep(). */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  set(key: string, value: V, expiresAt: number): void {
    if (expiresAt <= this.now()) {
      this.#entries.delete(key);
      return;
    }
    this.#entries.set(key, { value, expiresAt });
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  expiresAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#entries.get(key)!.expiresAt;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [k, e] of this.#entries) {
      if (e.expiresAt <= now) {
        this.#entries.delete(k);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.#entries.size;
  }
}
