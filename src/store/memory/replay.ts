/** One-time identifiers and server secrets in memory, as src/store/redis/replay.ts keeps them in Redis. */
import type { ReplayCache, ServerSecrets } from '../replay-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryReplayCache implements ReplayCache {
  readonly map: ExpiringMap<true>;

  constructor(private readonly assertOpen: () => void, private readonly now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    this.assertOpen();
    // Already past its life: nothing to remember, and nothing could replay it (Redis refuses such a PXAT too).
    if (expiresAtMs <= this.now()) return true;
    if (this.map.get(key) !== undefined) return false;
    this.map.set(key, true, expiresAtMs);
    return true;
  }
}

export class MemoryServerSecrets implements ServerSecrets {
  readonly #secrets = new Map<string, string>();

  constructor(private readonly assertOpen: () => void) {}

  async getOrCreate(name: string, candidate: string): Promise<string> {
    this.assertOpen();
    const existing = this.#secrets.get(name);
    if (existing !== undefined) return existing;
    this.#secrets.set(name, candidate);
    return candidate;
  }
}
