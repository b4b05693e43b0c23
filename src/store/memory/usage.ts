/** Token usage in memory, bounded and expiring like the Redis hashes (src/store/redis/usage.ts). */
import { MAX_ROUTES, MAX_SCOPES, OTHER_ROUTES, type TokenUsage, type TokenUse, type UsageTally, type UsageRepository } from '../usage-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryUsageRepository implements UsageRepository {
  readonly map: ExpiringMap<TokenUsage>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async record(key: string, use: TokenUse, expiresAtMs: number): Promise<void> {
    this.assertOpen();
    if (expiresAtMs <= use.atMs) return;
    const u = this.map.get(key) ?? { last_used_at: 0, last_used_ip: '', routes: {}, scopes: {} };
    const route = use.route in u.routes || Object.keys(u.routes).length < MAX_ROUTES ? use.route : OTHER_ROUTES;
    u.routes[route] = (u.routes[route] ?? 0) + 1;
    u.last_used_at = use.atMs;
    u.last_used_ip = use.ip;
    for (const s of (use.scopes ?? []).slice(0, MAX_SCOPES)) u.scopes[s] = use.atMs;
    this.map.set(key, u, Math.max(expiresAtMs, this.map.expiresAt(key) ?? 0));
  }

  async add(key: string, tally: UsageTally): Promise<void> {
    this.assertOpen();
    if (tally.expiresAtMs <= tally.atMs) return;
    const u = this.map.get(key) ?? { last_used_at: 0, last_used_ip: '', routes: {}, scopes: {} };
    for (const [r, n] of Object.entries(tally.routes)) {
      const route = r in u.routes || Object.keys(u.routes).length < MAX_ROUTES ? r : OTHER_ROUTES;
      u.routes[route] = (u.routes[route] ?? 0) + n;
    }
    if (tally.atMs >= u.last_used_at) {
      u.last_used_at = tally.atMs;
      u.last_used_ip = tally.ip;
    }
    for (const [s, at] of Object.entries(tally.scopes).slice(0, MAX_SCOPES)) u.scopes[s] = Math.max(at, u.scopes[s] ?? 0);
    this.map.set(key, u, Math.max(tally.expiresAtMs, this.map.expiresAt(key) ?? 0));
  }

  async get(key: string): Promise<TokenUsage | null> {
    this.assertOpen();
    const u = this.map.get(key);
    return u ? structuredClone(u) : null;
  }
}
