/**
 * The token endpoint and introspection answered in front of Express's
 * router (in-front.ts), by the same function their Express routes call
 * (form-endpoint.ts), with the answers those routes give, byte for byte:
 * the same status, the same headers in the same order (the security headers
 * computed once, X-Request-Id, RateLimit-Policy/RateLimit, DPoP-Nonce,
 * Cache-Control and Pragma, WWW-Authenticate or Retry-After on errors,
 * Content-Type, Content-Length), the same JSON body, the same request
 * context for the core's audit events, and the same request log line and
 * metrics (request-log.ts) under the route's pattern. An error, the body
 * reader's included, goes to the one error mapper (error-response.ts
 * mapError), as errorHandler would give it: a store outage is a 503 whose
 * log line goes to debug, and no input is a 500.
 *
 * Why this exists: these are the two endpoints every client and resource
 * server calls, and Express's own per-request work (its router's layer
 * walk, the prototype swaps, the route-pattern tracking, the per-request
 * closures) was a large share of each request's CPU beside the core's.
 *
 * Only a POST of the exact path (with or without a query, which the routes
 * ignore) with a body formBody reads itself (oauth-form.ts isPlainForm: a
 * UTF-8 or charset-less form, its length given and within the limit, not
 * compressed, not chunked) is answered here, decided before any of the body
 * is read. Everything else goes to Express untouched, as before: other
 * methods (405), other content types (400), other charsets (415), bodies
 * over the limit (413), chunked or compressed bodies, and the path variants
 * Express's matching also accepts (a trailing slash, another letter case).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { requestContext, type RequestContext } from '../core/audit.js';
import type { OutageLog } from '../core/outage-log.js';
import { mapError, REALM } from './error-response.js';
import type { FormEndpoint } from './form-endpoint.js';
import { answerInFront, atExactPath, contextInFront, SECURITY } from './in-front.js';
import { isPlainForm, readPlainForm } from './oauth-form.js';
import { JSON_TYPE } from './preserialized.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { observeOutcome, type AnswerOutcome, type RequestObserver } from './request-log.js';

export interface FormEndpointsObserver extends RequestObserver {
  outage: OutageLog;
}

/** Puts the endpoints' answers in front of `app`'s router: POST of their exact paths with a plain form body. */
export function answerFormEndpointsFirst(app: Express, endpoints: readonly FormEndpoint[], observer: FormEndpointsObserver): void {
  const byPath = new Map(endpoints.map((e) => [e.path, e]));
  answerInFront(
    app,
    (req) => {
      if (req.method !== 'POST') return undefined;
      const endpoint = atExactPath(byPath, req);
      return endpoint !== undefined && isPlainForm(req) ? endpoint : undefined;
    },
    (endpoint, req, res) => answer(app, endpoint, req, res, observer),
  );
}

function answer(app: Express, endpoint: FormEndpoint, req: IncomingMessage, res: ServerResponse, observer: FormEndpointsObserver): void {
  const start = process.hrtime.bigint();
  const context = contextInFront(app, req, endpoint.path);
  const outcome: AnswerOutcome = { bytes: null, errorCode: undefined, quiet: false };
  // From the start, as requestFrame's listener: a caller who hangs up while its body is read is logged too.
  observeOutcome(observer, 'POST', endpoint.path, res, outcome, context, start);
  readPlainForm(req, (err, text) => {
    // The stream's events run in the connection's async context: the endpoint runs in the request's.
    requestContext.run(context, respond, endpoint, req, res, context, outcome, observer, err, text).catch((failure: unknown) => {
      // Only writing the error answer itself can land here (it never has): the connection is dropped rather than the process.
      observer.logger.error({ err: failure instanceof Error ? { type: failure.name, message: failure.message } : String(failure), route: context.route }, 'request failed');
      res.destroy();
    });
  });
}

async function respond(
  endpoint: FormEndpoint, req: IncomingMessage, res: ServerResponse, context: RequestContext, outcome: AnswerOutcome,
  observer: FormEndpointsObserver, bodyError: Error | undefined, text: string,
): Promise<void> {
  try {
    if (bodyError !== undefined) throw bodyError;
    const answer = await endpoint.answer({ headers: req.headers, body: text, ip: context.ip ?? '' });
    write(res, context.requestId, answer.status, answer.headers, answer.body, outcome);
  } catch (err) {
    // What errorHandler does: these routes set no bearer realm and no DPoP challenge.
    const { answer, storeOutage } = mapError(err, 'POST', endpoint.path, REALM, false, observer.logger, observer.outage);
    outcome.errorCode = answer.body.error;
    outcome.quiet = storeOutage;
    // errorHandler sets the RateLimit headers before the error's own.
    write(res, context.requestId, answer.status, { ...rateLimitHeaders(), ...answer.headers }, answer.body, outcome);
  }
}

/** As sendJson (json-answer.ts) and res.json write it, after the headers requestFrame sets: one writeHead, the body a string. */
function write(res: ServerResponse, requestId: string, status: number, headers: Readonly<Record<string, string>>, body: unknown, outcome: AnswerOutcome): void {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  const list: Array<string | number> = [...SECURITY, 'X-Request-Id', requestId];
  for (const name in headers) list.push(name, headers[name]!);
  list.push('Content-Type', JSON_TYPE, 'Content-Length', length);
  res.writeHead(status, list);
  outcome.bytes = length;
  res.end(text);
}
