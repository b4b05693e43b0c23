/**
 * One JSON line per request, written when the answer is finished or the
 * connection closes: request id, method, routed pattern (never the raw URL:
 * a query or a path can carry a token), status, latency, the client and
 * token the request used or was issued, address, user agent, answer size.
 * 5xx at `error`, the rest at `info`; probes (/healthz, /readyz, /metrics)
 * at `debug`, or a load balancer's polling would flood the log, and so are
 * the 503s of a store outage, which the outage log sums up instead.
 *
 * The same end-of-answer listener counts the request in the metrics
 * (request-metrics.ts): one listener per request, one route pattern.
 */
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { RequestContext } from '../core/audit.js';
import type { TesseraMetrics } from '../core/metrics/metrics.js';
import { routePattern } from './route-pattern.js';
import { STORE_OUTAGE } from './error-response.js';
import { countRequest } from './request-metrics.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

function contentLength(res: ServerResponse): number | null {
  const n = Number(res.getHeader('content-length'));
  return Number.isFinite(n) ? n : null;
}

/** What the end-of-answer listener needs; null members are left out (e.g. no metrics). */
export interface RequestObserver {
  logger: Logger;
  metrics: TesseraMetrics | null;
}

/**
 * Runs once per request on the response's 'close', which Node emits after
 * 'finish' for a complete answer and alone when the caller hung up first.
 * Metrics count complete answers only, as they always have.
 */
export function observeRequest(observer: RequestObserver, req: Request, res: Response, context: RequestContext, start: bigint): void {
  const probe = PROBES.has(req.path);
  res.once('close', () => {
    // A 503 of a store outage is counted in the outage log's summaries instead (outage-log.ts).
    const quiet = probe || res.locals[STORE_OUTAGE] === true;
    recordAnswer(observer, req.method, routePattern(req), res, res.locals.errorCode, quiet, undefined, context, start);
  });
}

/**
 * The same for an answer written outside Express (public-documents.ts),
 * which names its route pattern and its body's length (null: no body)
 * itself: its headers are written in one writeHead, not kept on `res`.
 */
export function observeAnswer(
  observer: RequestObserver, method: string, pattern: string, res: ServerResponse, bytes: number | null, context: RequestContext, start: bigint,
): void {
  res.once('close', () => recordAnswer(observer, method, pattern, res, undefined, false, bytes, context, start));
}

/** What an answer written outside Express notes as it is written, for its log line and metrics (form-endpoints-first.ts). */
export interface AnswerOutcome {
  /** The answer's body length; null until it is written (a caller who hung up first got none). */
  bytes: number | null;
  /** The error code of an error answer, as errorHandler notes it on `res.locals.errorCode`. */
  errorCode: string | undefined;
  /** A store outage's 503 (errorHandler's `res.locals[STORE_OUTAGE]`): its line goes to debug. */
  quiet: boolean;
}

/**
 * observeAnswer for an answer whose outcome is known only when it is
 * written, listening from the request's start as the Express path does
 * (a caller who hangs up while its body is read is logged too).
 */
export function observeOutcome(
  observer: RequestObserver, method: string, pattern: string, res: ServerResponse, outcome: AnswerOutcome, context: RequestContext, start: bigint,
): void {
  res.once('close', () => recordAnswer(observer, method, pattern, res, outcome.errorCode, outcome.quiet, outcome.bytes, context, start));
}

function recordAnswer(
  observer: RequestObserver, method: string, pattern: string, res: ServerResponse, errorCode: unknown, quiet: boolean,
  /** undefined: the answer's Content-Length header. */
  bytes: number | null | undefined, context: RequestContext, start: bigint,
): void {
  const finished = res.writableFinished;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (finished && observer.metrics) countRequest(observer.metrics, method, pattern, res.statusCode, errorCode, elapsed / 1e9);
  const status = res.headersSent ? res.statusCode : null;
  const level = quiet ? 'debug' : status !== null && status >= 500 ? 'error' : 'info';
  // Below the configured level (TESSERA_LOG_LEVEL=warn, say) the line is not even built.
  if (!observer.logger.isLevelEnabled(level)) return;
  const line = {
    request_id: context.requestId,
    method,
    route: `${method} ${pattern}`,
    status,
    latency_ms: elapsed / 1e6,
    client_id: context.clientId ?? null,
    token_id: context.tokenId ?? null,
    ip: context.ip,
    user_agent: context.userAgent?.slice(0, 300) ?? null,
    response_bytes: bytes === undefined ? contentLength(res) : bytes,
    // The caller hung up before the answer was complete.
    ...(finished ? {} : { aborted: true }),
  };
  observer.logger[level](line, 'request');
}
