/**
 * Token usage in Redis: one hash per token, `usage:<key>` (keys.ts), with
 * `at` and `ip` of the last use, `r:<route>` counters, `nr` (how many
 * routes it counts) and `s:<scope>` (when each scope was last exercised);
 * one script per use, or per tally of many uses merged in memory
 * (src/core/usage/batched-usage.ts), so the bound on distinct routes holds
 * under concurrency.
 */
import { MAX_ROUTES, MAX_SCOPES, OTHER_ROUTES, type TokenUsage, type TokenUse, type UsageRepository, type UsageTally } from '../usage-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: usage hash. ARGV: route field, at, ip, expires at, max routes, other field, then the scopes used (none or more).
// A record written before `nr` existed counts every field but at and ip as a route.
// The expiry only ever moves later: a verifier's write for a short-lived JWT never cuts short its API token's record.
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

// KEYS: usage hash. ARGV: at, ip, expires at, max routes, other field, n (routes), then n pairs of route field and
// count, then pairs of scope field and when it was exercised. Many uses merged into one write (batched-usage.ts);
// the same bound on routes as above. The last use and each scope's time only move later: a tally that arrives
// after another instance's newer one never turns them back.
// Exported: @tessera-auth/server/verifier adds its batches with this same script.
export const USAGE_ADD_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[1])
local at = tonumber(ARGV[1])
local n = tonumber(ARGV[6])
local routes = nil
for i = 0, n - 1 do
  local field = ARGV[7 + 2 * i]
  if redis.call('HEXISTS', KEYS[1], field) == 0 then
    if routes == nil then routes = tonumber(redis.call('HGET', KEYS[1], 'nr') or math.max(redis.call('HLEN', KEYS[1]) - 2, 0)) end
    if routes >= tonumber(ARGV[4]) then field = ARGV[5]
    else
      routes = routes + 1
      redis.call('HSET', KEYS[1], 'nr', routes)
    end
  end
  redis.call('HINCRBY', KEYS[1], field, ARGV[8 + 2 * i])
end
if tonumber(redis.call('HGET', KEYS[1], 'at') or '0') <= at then redis.call('HSET', KEYS[1], 'at', ARGV[1], 'ip', ARGV[2]) end
for i = 7 + 2 * n, #ARGV, 2 do
  if tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
if ttl < 0 or at + ttl < tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`;

/** The arguments of USAGE_ADD_SCRIPT after its key. */
export function usageAddArgs(tally: UsageTally): string[] {
  const routes = Object.entries(tally.routes);
  const args = [String(tally.atMs), tally.ip, String(Math.ceil(tally.expiresAtMs)), String(MAX_ROUTES), `r:${OTHER_ROUTES}`, String(routes.length)];
  for (const [route, n] of routes) args.push(`r:${route}`, String(n));
  for (const [scope, at] of Object.entries(tally.scopes).slice(0, MAX_SCOPES)) args.push(`s:${scope}`, String(at));
  return args;
}

interface Scripts {
  tesseraUsageAdd(key: string, ...args: string[]): Promise<number>;
  tesseraUsage(key: string, field: string, at: string, ip: string, expires: string, max: string, other: string, ...scopes: string[]): Promise<number>;
}

export class RedisUsageRepository implements UsageRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraUsage', 1, USAGE_RECORD_SCRIPT);
    defineScript(ctx, 'tesseraUsageAdd', 1, USAGE_ADD_SCRIPT);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  async record(key: string, use: TokenUse, expiresAtMs: number): Promise<void> {
    if (expiresAtMs <= use.atMs) return;
    await guarded(() => this.#redis.tesseraUsage(
      this.ctx.keys.usage(key), `r:${use.route}`, String(use.atMs), use.ip, String(Math.ceil(expiresAtMs)), String(MAX_ROUTES), `r:${OTHER_ROUTES}`,
      ...(use.scopes ?? []).slice(0, MAX_SCOPES),
    ));
  }

  async add(key: string, tally: UsageTally): Promise<void> {
    if (tally.expiresAtMs <= tally.atMs) return;
    await guarded(() => this.#redis.tesseraUsageAdd(this.ctx.keys.usage(key), ...usageAddArgs(tally)));
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
