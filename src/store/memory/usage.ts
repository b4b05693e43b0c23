/** Token usage in memory, bounded and expiring like the Redis hashes (src/store/redis/usage.ts). */
import { MAX_ROUTES, OTHER_ROUTES, type TokenUsage, type UsageRepository } from '../usage-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryUsageRepository implements UsageRepository {
  readonly map: ExpiringMap<TokenUsage>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async record(key: string, use: { route: string; ip: string; atMs: number }, expiresAtMs: number): Promise<void> {
    this.assertOpen();
    if (expiresAtMs <= use.atMs) return;
    const u = this.map.get(key) ?? { last_used_at: 0, last_used_ip: '', routes: {} };
    const route = use.route in u.routes || Object.keys(u.routes).length < MAX_ROUTES ? use.route : OTHER_ROUTES;
    u.routes[route] = (u.routes[route] ?? 0) + 1;
    u.last_used_at = use.atMs;
    u.last_used_ip = use.ip;
    this.map.set(key, u, expiresAtMs);
  }

  async get(key: string): Promise<TokenUsage | null> {
    this.assertOpen();
    const u = this.map.get(key);
    return u ? structuredClone(u) : null;
  }
}
