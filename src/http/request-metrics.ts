/**
 * Counts and times every request by its routed pattern
 * (`/admin/v1/clients/:client_id`), never its raw URL, so the number of
 * series stays bounded whatever paths callers send: a path no route matched
 * is `(unmatched)`, or `<mount>/*` when it got as far as a mounted router
 * (e.g. a 401 of /admin/v1 before any admin route ran). The error code an
 * answer carries is noted on `res.locals.errorCode` by the one error mapper
 * (src/http/error-response.ts) and counted here, when the answer is done.
 * Called by the request's one end-of-answer listener (request-log.ts), with
 * the pattern it computed once for both.
 */
import type { Request, Response } from 'express';
import type { TesseraMetrics } from '../core/metrics/metrics.js';

export function countRequest(metrics: TesseraMetrics, req: Request, res: Response, route: string, seconds: number): void {
  metrics.httpDuration.labels(req.method, route).observe(seconds);
  metrics.httpRequests.labels(req.method, route, String(res.statusCode)).inc();
  const code = res.locals.errorCode;
  if (typeof code === 'string') metrics.errors.labels(route, code).inc();
}
