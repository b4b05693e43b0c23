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
import type { TesseraMetrics } from '../core/metrics/metrics.js';

export function countRequest(metrics: TesseraMetrics, method: string, route: string, status: number, errorCode: unknown, seconds: number): void {
  metrics.httpDuration.labels(method, route).observe(seconds);
  metrics.httpRequests.labels(method, route, String(status)).inc();
  if (typeof errorCode === 'string') metrics.errors.labels(route, errorCode).inc();
}
