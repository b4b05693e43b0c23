/**
 * Token usage: when and from where a token was last used, how often on each
 * route ("which endpoints did this token touch") and when each of its
 * scopes was last exercised ("which of its scopes does it need"). Bounded:
 * at most MAX_ROUTES distinct routes per token (the rest are counted under
 * OTHER_ROUTES) and MAX_SCOPES scopes (callers record only scopes the token
 * was granted). A record lives as long as the longest expiry any of its
 * writers gave: a write never shortens it.
 */
export const MAX_ROUTES = 50;
export const OTHER_ROUTES = '(other)';
export const MAX_SCOPES = 100;

export interface TokenUsage {
  last_used_at: number;
  last_used_ip: string;
  routes: Record<string, number>;
  /** Scope → when a use last exercised it (epoch ms). */
  scopes: Record<string, number>;
}

export interface TokenUse {
  route: string;
  ip: string;
  atMs: number;
  /** The scopes this use exercised (what the resource server required), when known. */
  scopes?: readonly string[] | undefined;
}

/**
 * Many uses of one key, merged (src/core/usage/batched-usage.ts): how many on
 * each route, when each scope was last exercised, and the latest use.
 */
export interface UsageTally {
  /** Route → uses. */
  routes: Readonly<Record<string, number>>;
  /** Scope → when a use last exercised it (epoch ms). */
  scopes: Readonly<Record<string, number>>;
  /** The latest use. */
  atMs: number;
  ip: string;
  /** The record lives until then at least. */
  expiresAtMs: number;
}

export interface UsageRepository {
  /**
   * Counts one use of `key` (`api_token:tok_…`, `access_token:<jti>`,
   * `client:<client_id>`) on `route`, and notes the scopes it exercised;
   * the record lives until `expiresAtMs` at least.
   */
  record(key: string, use: TokenUse, expiresAtMs: number): Promise<void>;
  /**
   * Adds a tally of many uses of `key` in one write, whole or not at all.
   * The last use and each scope's time only move later: a tally that
   * arrives late (another instance's) never turns them back.
   */
  add(key: string, tally: UsageTally): Promise<void>;
  get(key: string): Promise<TokenUsage | null>;
}
