/**
 * Per-route usage of access tokens this verifier accepted, written to
 * Tessera's Redis with the server's own script and key layout
 * (src/store/redis/usage.ts, keys.ts: `usage:access_token:<jti>`), so
 * "which endpoints did this token touch" covers JWTs that Tessera never sees.
 * API tokens need none of this: Tessera counts them when they are introspected
 * (with the scopes this verifier requires, sent as the introspection's `scope`).
 *
 * Off the request's path: uses are merged in memory and written every
 * `flushIntervalMs` (src/core/usage/batched-usage.ts), one script per token
 * and flush, all sent together; close() writes what waits. Best effort: a
 * failed write, or a use dropped because too many tokens wait, is reported
 * to onError and never refuses a request.
 */
import { createHash } from 'node:crypto';
import { USAGE_ADD_SCRIPT, usageAddArgs } from '../store/redis/usage.js';
import { RedisKeys } from '../store/redis/keys.js';
import type { TesseraRedis } from './options.js';
import { credentialUsageExpiry } from '../core/usage/scope-use.js';
import { UsageFlusher } from '../core/usage/batched-usage.js';
import type { UsageTally } from '../store/usage-records.js';

// The server's own script: verifiers and the server count the same way.
const SCRIPT = USAGE_ADD_SCRIPT;
// Redis names a loaded script by its SHA-1; sent by name, the script's text travels only once per server.
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

export const DEFAULT_USAGE_FLUSH_INTERVAL_MS = 1000;

export class UsageRecorder {
  readonly #keys: RedisKeys;
  readonly #flusher: UsageFlusher;

  constructor(
    private readonly redis: TesseraRedis,
    prefix: string,
    private readonly onError: (err: unknown) => void,
    flushIntervalMs = DEFAULT_USAGE_FLUSH_INTERVAL_MS,
  ) {
    this.#keys = new RedisKeys(prefix);
    this.#flusher = new UsageFlusher((key, tally) => this.#write(key, tally), {
      intervalMs: flushIntervalMs,
      onFailure: (err) => this.onError(err),
      onDropped: (uses, reason) => {
        if (reason === 'full') this.onError(new Error(`usage: ${uses} use(s) not counted: too many tokens wait for the next write`));
      },
    });
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
    const use = { route, ip: ip ?? '', atMs: now, scopes };
    this.#flusher.note(`access_token:${jti}`, use, exp * 1000);
    if (credential) this.#flusher.note(credential, use, credentialUsageExpiry(credential, exp * 1000, now));
  }

  /** Writes the uses counted so far. */
  flush(): Promise<void> {
    return this.#flusher.flush();
  }

  /** Stops the timer and writes what waits. */
  close(): Promise<void> {
    return this.#flusher.close();
  }

  async #write(key: string, tally: UsageTally): Promise<void> {
    const args = [this.#keys.usage(key), ...usageAddArgs(tally)];
    try {
      await this.redis.evalsha(SCRIPT_SHA, 1, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      await this.redis.eval(SCRIPT, 1, ...args);
    }
  }
}
