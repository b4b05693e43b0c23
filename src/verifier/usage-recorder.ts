/**
 * Per-route usage of access tokens this verifier accepted, written to
 * Tessera's Redis with the server's own script and key layout
 * (src/store/redis/usage.ts: `${prefix}usage:access_token:${jti}`), so
 * "which endpoints did this token touch" covers JWTs that Tessera never sees.
 * API tokens need none of this: Tessera counts them when they are introspected.
 * Best effort: a failed write is reported to onError and never refuses a request.
 */
import type { Redis } from 'ioredis';
import { USAGE_RECORD_SCRIPT } from '../store/redis/usage.js';
import { MAX_ROUTES, OTHER_ROUTES } from '../store/usage-records.js';

// The server's own script: verifiers and the server count the same way.
const RECORD = USAGE_RECORD_SCRIPT;
const MAX = String(MAX_ROUTES);
const OTHER = `r:${OTHER_ROUTES}`;

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
      .eval(RECORD, 1, `${this.prefix}usage:access_token:${jti}`, `r:${route}`, String(now), ip ?? '', String(exp * 1000), MAX, OTHER)
      .catch((err: unknown) => this.onError(err));
  }
}
