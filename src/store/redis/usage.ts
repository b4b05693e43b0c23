/**
 * Token usage in Redis: one hash per token, `${prefix}usage:${key}`, with
 * `at` and `ip` of the last use and `r:<route>` counters; one script per
 * use, so the bound on distinct routes holds under concurrency.
 */
import type { Redis } from 'ioredis';
import { MAX_ROUTES, OTHER_ROUTES, type TokenUsage, type UsageRepository } from '../usage-records.js';
import { guarded } from './connection.js';

// KEYS: usage hash. ARGV: route field, at, ip, expires at, max routes, other field.
// Exported: @tessera-auth/server/verifier counts the access tokens it accepts with this same script.
export const USAGE_RECORD_SCRIPT = `
local field = ARGV[1]
if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HLEN', KEYS[1]) - 2 >= tonumber(ARGV[5]) then field = ARGV[6] end
redis.call('HINCRBY', KEYS[1], field, 1)
redis.call('HSET', KEYS[1], 'at', ARGV[2], 'ip', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1`;

interface Scripts {
  tesseraUsage(key: string, field: string, at: string, ip: string, expires: string, max: string, other: string): Promise<number>;
}

export class RedisUsageRepository implements UsageRepository {
  readonly #redis: Redis & Scripts;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraUsage', { numberOfKeys: 1, lua: USAGE_RECORD_SCRIPT });
    this.#redis = redis as Redis & Scripts;
  }

  async record(key: string, use: { route: string; ip: string; atMs: number }, expiresAtMs: number): Promise<void> {
    if (expiresAtMs <= use.atMs) return;
    await guarded(() => this.#redis.tesseraUsage(
      `${this.prefix}usage:${key}`, `r:${use.route}`, String(use.atMs), use.ip, String(Math.ceil(expiresAtMs)), String(MAX_ROUTES), `r:${OTHER_ROUTES}`,
    ));
  }

  async get(key: string): Promise<TokenUsage | null> {
    const all = await guarded(() => this.#redis.hgetall(`${this.prefix}usage:${key}`));
    if (all.at === undefined) return null;
    const routes: Record<string, number> = {};
    for (const [f, v] of Object.entries(all)) if (f.startsWith('r:')) routes[f.slice(2)] = Number(v);
    return { last_used_at: Number(all.at), last_used_ip: all.ip ?? '', routes };
  }
}
