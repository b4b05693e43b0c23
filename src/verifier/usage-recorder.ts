/**
 * Per-route usage of access tokens this verifier accepted, written to
 * Tessera's Redis with the server's own script and key layout
 * (src/store/redis/usage.ts, keys.ts: `usage:access_token:<jti>`), so
 * "which endpoints did this token touch" covers JWTs that Tessera never sees.
 * API tokens need none of this: Tessera counts them when they are introspected
 * (with the scopes this verifier requires, sent as the introspection's `scope`).
 * Best effort: a failed write is reported to onError and never refuses a request.
 */
import { USAGE_RECORD_SCRIPT } from '../store/redis/usage.js';
import { RedisKeys } from '../store/redis/keys.js';
import type { TesseraRedis } from './options.js';
import { MAX_ROUTES, OTHER_ROUTES } from '../store/usage-records.js';
import { credentialUsageExpiry } from '../core/usage/scope-use.js';

// The server's own script: verifiers and the server count the same way.
const RECORD = USAGE_RECORD_SCRIPT;
const MAX = String(MAX_ROUTES);
const OTHER = `r:${OTHER_ROUTES}`;

export class UsageRecorder {
  readonly #keys: RedisKeys;

  constructor(
    private readonly redis: TesseraRedis,
    prefix: string,
    private readonly onError: (err: unknown) => void,
  ) {
    this.#keys = new RedisKeys(prefix);
  }

  /**
   * Counts one use of the access token `jti` (expiring at `exp`, epoch s) on
   * `route`, with the scopes it exercised; the same use counts for the
   * credential behind the token (`credential`: its API token or its client),
   * so that Tessera's least-privilege report sees what each one used.
   */
  record(jti: string, exp: number, route: string, ip: string | undefined, scopes: readonly string[], credential: string | null): void {
    const now = Date.now();
    if (exp * 1000 <= now) return;
    this.#eval(`access_token:${jti}`, route, now, ip, exp * 1000, scopes);
    if (credential) this.#eval(credential, route, now, ip, credentialUsageExpiry(credential, exp * 1000, now), scopes);
  }

  #eval(key: string, route: string, now: number, ip: string | undefined, expiresAt: number, scopes: readonly string[]): void {
    this.redis
      .eval(RECORD, 1, this.#keys.usage(key), `r:${route}`, String(now), ip ?? '', String(expiresAt), MAX, OTHER, ...scopes)
      .catch((err: unknown) => this.onError(err));
  }
}
