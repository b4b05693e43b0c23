/**
 * Token usage: when and from where a token was last used, and how often on
 * each route ("which endpoints did this token touch"). Bounded: at most
 * MAX_ROUTES distinct routes per token (the rest are counted under
 * OTHER_ROUTES), and each record expires with its token.
 */
export const MAX_ROUTES = 50;
export const OTHER_ROUTES = '(other)';

export interface TokenUsage {
  last_used_at: number;
  last_used_ip: string;
  routes: Record<string, number>;
}

export interface UsageRepository {
  /** Counts one use of `key` (e.g. `api_token:tok_…`, `access_token:<jti>`) on `route`; the record lives until `expiresAtMs`. */
  record(key: string, use: { route: string; ip: string; atMs: number }, expiresAtMs: number): Promise<void>;
  get(key: string): Promise<TokenUsage | null>;
}
