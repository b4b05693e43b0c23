/**
 * Per-route usage of access tokens this verifier accepted, written to
 * Tessera's Redis with the server's own script and key layout
 * (src/store/redis/usage.ts: `${prefix}usage:access_token:${jti}`), so
 * "which endpoints did this token touch" covers JWTs that Tessera never sees.
 * API tokens need none of this: Tessera counts them when they are introspected.
 * Best effort: a failed write is reported to onError and never refuses a request.
 */
import type { Redis } from 'ioredis';

// Copied from src/store/redis/usage.ts: verifiers and the server must count the same way.
const RECORD = `
local field = ARGV[1]
if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HLEN', KEYS[1]) - 2 >= tonumber(ARGV[5]) then field = ARGV[6] end
redis.call('HINCRBY', KEYS[1], field, 1)
redis.call('HSET', KEYS[1], 'at', ARGV[2], 'ip', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1`;
const MAX_ROUTES = '50';
const OTHER = 'r:(other)';

export class UsageRecorder {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Counts one use of the access token `jti` (expiring at `exp`, epoch s) on `route`. */
  record(jti: string, exp: number, route: string, ip: string | undefined): void {
    const now = Date.now();
    if (exp * 1000 <= now) return;
    this.redis
      .eval(RECORD, 1, `${this.prefix}usage:access_token:${jti}`, `r:${route}`, String(now), ip ?? '', String(exp * 1000), MAX_ROUTES, OTHER)
      .catch((err: unknown) => this.onError(err));
  }
}
