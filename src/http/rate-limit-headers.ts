/**
 * draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` names each limit
 * applied to the request with its quota `q` and window `w` (seconds);
 * `RateLimit` gives what is left, `r`, and the seconds until the quota is
 * whole again, `t`. Sent on allowed answers and on the 429 alike.
 */
import type { ServerResponse } from 'node:http';
import { requestContext } from '../core/audit.js';

export interface RateLimitHeaders {
  'RateLimit-Policy': string;
  RateLimit: string;
}

/** The two headers for the limits applied to the current request so far (its request context), or null when none was. */
export function rateLimitHeaders(): RateLimitHeaders | null {
  const limits = requestContext.getStore()?.limits;
  if (!limits?.length) return null;
  return {
    'RateLimit-Policy': limits.map((l) => `"${l.policy}";q=${l.rule.requests};w=${l.rule.perSeconds}`).join(', '),
    RateLimit: limits.map((l) => `"${l.policy}";r=${l.outcome.remaining};t=${l.outcome.resetSeconds}`).join(', '),
  };
}

export function setRateLimitHeaders(res: ServerResponse): void {
  const headers = rateLimitHeaders();
  if (headers === null) return;
  res.setHeader('RateLimit-Policy', headers['RateLimit-Policy']);
  res.setHeader('RateLimit', headers.RateLimit);
}
