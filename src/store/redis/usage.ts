/**
 * Token usage in Redis: one hash per token, `usage:<key>` (keys.ts), with
 * `at` and `ip` of the last use, `r:<route>` counters, `nr` (how many
 * routes it counts) and `s:<scope>` (when each scope was last exercised);
 * one script per use, so the bound on distinct routes holds under
 * concurrency.
 */
import { MAX_ROUTES, MAX_SCOPES, OTHER_ROUTES, type TokenUsage, type TokenUse, type UsageRepository } from '../usage-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: usage hash. ARGV: route field, at, ip, expires at, max routes, other field, then the scopes used (none or more).
// A record written before `nr` existed counts every field but at and ip as a route.
// The expiry only ever moves later: a verifier's write for a short-lived JWT never cuts short its API token's record.
// Exported: @tessera-auth/server/verifier counts the access tokens it accepts with this same script.
export const USAGE_RECORD_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[1])
local field = ARGV[1]
if redis.call('HEXISTS', KEYS[1], field) == 0 then
  local routes = tonumber(redis.call('HGET', KEYS[1], 'nr') or math.max(redis.call('HLEN', KEYS[1]) - 2, 0))
  if routes >= tonumber(ARGV[5]) then field = ARGV[6]
  else redis.call('HSET', KEYS[1], 'nr', routes + 1) end
end
redis.call('HINCRBY', KEYS[1], field, 1)
redis.call('HSET', KEYS[1], 'at', ARGV[2], 'ip', ARGV[3])
for i = 7, #ARGV do redis.call('HSET', KEYS[1], 's:' .. ARGV[i], ARGV[2]) end
if ttl < 0 or tonumber(ARGV[2]) + ttl < tonumber(ARGV[4]) then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
return 1`;

interface Scripts {
  tesseraUsage(key: string, field: string, at: string, ip: string, expires: string, max: string, other: string, ...scopes: string[]): Promise<number>;
}

export class RedisUsageRepository implements UsageRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraUsage', 1, USAGE_RECORD_SCRIPT);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  async record(key: string, use: TokenUse, expiresAtMs: number): Promise<void> {
    if (expiresAtMs <= use.atMs) return;
    await guarded(() => this.#redis.tesseraUsage(
      this.ctx.keys.usage(key), `r:${use.route}`, String(use.atMs), use.ip, String(Math.ceil(expiresAtMs)), String(MAX_ROUTES), `r:${OTHER_ROUTES}`,
      ...(use.scopes ?? []).slice(0, MAX_SCOPES),
    ));
  }

  async get(key: string): Promise<TokenUsage | null> {
    const all = await guarded(() => this.#redis.hgetall(this.ctx.keys.usage(key)));
    if (all.at === undefined) return null;
    const routes: Record<string, number> = {};
    const scopes: Record<string, number> = {};
    for (const [f, v] of Object.entries(all)) {
      if (f.startsWith('r:')) routes[f.slice(2)] = Number(v);
      else if (f.startsWith('s:')) scopes[f.slice(2)] = Number(v);
    }
    return { last_used_at: Number(all.at), last_used_ip: all.ip ?? '', routes, scopes };
  }
}
