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

export interface UsageRepository {
  /**
   * Counts one use of `key` (`api_token:tok_…`, `access_token:<jti>`,
   * `client:<client_id>`) on `route`, and notes the scopes it exercised;
   * the record lives until `expiresAtMs` at least.
   */
  record(key: string, use: TokenUse, expiresAtMs: number): Promise<void>;
  get(key: string): Promise<TokenUsage | null>;
}
