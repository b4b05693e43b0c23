/**
 * The request context of audit events (src/core/audit.ts): a request id
 * (the caller's X-Request-Id when it is sane, else a new UUID, echoed on
 * every answer), the client address as Express sees it (TESSERA_TRUST_PROXY),
 * the user agent and the route.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Request, Response } from 'express';
import { requestContext, type RequestContext } from '../core/audit.js';
import { setSecurityHeaders } from './security-headers.js';
import { observeRequest, type RequestObserver } from './request-log.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}

function contextOf(req: Request, res: Response): RequestContext {
  const requestId = requestIdOf(req);
  res.setHeader('X-Request-Id', requestId);
  const userAgent = req.headers['user-agent'];
  return { requestId, ip: req.ip ?? null, userAgent: userAgent ?? null, route: `${req.method} ${req.path}` };
}

/** The request id and the context, without the request log (the metrics listener). */
export const withRequestContext: RequestHandler = (req, res, next) => {
  requestContext.run(contextOf(req, res), next);
};

/**
 * What every request of the main app gets before routing, in one middleware
 * rather than a chain: the security headers (computed once), the request id
 * and context, and the one end-of-answer listener that logs and counts it.
 */
export function requestFrame(observer: RequestObserver): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    setSecurityHeaders(res);
    const context = contextOf(req, res);
    observeRequest(observer, req, res, context, start);
    requestContext.run(context, next);
  };
}

/**
 * Body parsers call `next` from the socket's stream events, which run in the
 * connection's async context, not the request's: bound, the handlers after
 * them still see the request context.
 */
export function keepingContext(parser: RequestHandler): RequestHandler {
  // requestContext.run rather than AsyncResource.bind: bind builds a new async
  // resource (and, on Node 20, a deprecation wrapper) on every request.
  return (req, res, next) => {
    const store = requestContext.getStore();
    parser(req, res, store ? (err?: unknown) => requestContext.run(store, () => next(err)) : next);
  };
}
