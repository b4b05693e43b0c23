/**
 * One JSON line per request, written when the answer is finished or the
 * connection closes: request id, method, routed pattern (never the raw URL:
 * a query or a path can carry a token), status, latency, the client and
 * token the request used or was issued, address, user agent, answer size.
 * 5xx at `error`, the rest at `info`; probes (/healthz, /readyz, /metrics)
 * at `debug`, or a load balancer's polling would flood the log, and so are
 * the 503s of a store outage, which the outage log sums up instead.
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { requestContext } from '../core/audit.js';
import { routePattern } from './route-pattern.js';
import { STORE_OUTAGE } from './error-response.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

function contentLength(res: Response): number | null {
  const n = Number(res.getHeader('content-length'));
  return Number.isFinite(n) ? n : null;
}

/** Mounted right after the request context (src/http/request-context.ts), whose fields it reports. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const context = requestContext.getStore();
    const probe = PROBES.has(req.path);
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const aborted = !res.writableFinished;
      const status = res.headersSent ? res.statusCode : null;
      const line = {
        request_id: context?.requestId ?? null,
        method: req.method,
        route: `${req.method} ${routePattern(req)}`,
        status,
        latency_ms: Number(process.hrtime.bigint() - start) / 1e6,
        client_id: context?.clientId ?? null,
        token_id: context?.tokenId ?? null,
        ip: context?.ip ?? null,
        user_agent: context?.userAgent?.slice(0, 300) ?? null,
        response_bytes: contentLength(res),
        // The caller hung up before the answer was complete.
        ...(aborted ? { aborted: true } : {}),
      };
      // A 503 of a store outage is counted in the outage log's summaries instead (outage-log.ts).
      const quiet = probe || res.locals[STORE_OUTAGE] === true;
      const level = quiet ? 'debug' : status !== null && status >= 500 ? 'error' : 'info';
      logger[level](line, 'request');
    };
    res.once('finish', log);
    res.once('close', log);
    next();
  };
}
