/**
 * draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` names each limit
 * applied to the request with its quota `q` and window `w` (seconds);
 * `RateLimit` gives what is left, `r`, and the seconds until the quota is
 * whole again, `t`. Sent on allowed answers and on the 429 alike.
 */
import type { Response } from 'express';
import { requestContext } from '../core/audit.js';

export function setRateLimitHeaders(res: Response): void {
  const limits = requestContext.getStore()?.limits;
  if (!limits?.length) return;
  res.setHeader('RateLimit-Policy', limits.map((l) => `"${l.policy}";q=${l.rule.requests};w=${l.rule.perSeconds}`).join(', '));
  res.setHeader('RateLimit', limits.map((l) => `"${l.policy}";r=${l.outcome.remaining};t=${l.outcome.resetSeconds}`).join(', '));
}
