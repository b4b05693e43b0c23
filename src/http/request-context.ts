/**
 * The request context of audit events (src/core/audit.ts): a request id
 * (the caller's X-Request-Id when it is sane, else a new UUID, echoed on
 * every answer), the client address as Express sees it (TESSERA_TRUST_PROXY),
 * the user agent and the route.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext } from '../core/audit.js';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const withRequestContext: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  const requestId = given !== undefined && SANE_ID.test(given) ? given : randomUUID();
  res.set('X-Request-Id', requestId);
  requestContext.run({ requestId, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, route: `${req.method} ${req.path}` }, next);
};

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
