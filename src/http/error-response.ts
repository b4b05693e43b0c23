/**
 * The one place where errors become HTTP answers: RFC 6749 §5.2 bodies for
 * OAuth errors, RFC 6750 §3 `WWW-Authenticate` for bearer errors, and the
 * same `{error, error_description}` shape for the admin API. Nothing else
 * writes an error status; nothing here ever shows a stack trace.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import {
  BearerRequestError, BusyError, ConfigError, ConflictError, InsufficientScopeError, InvalidClientError, InvalidTokenError,
  MethodNotAllowedError, MissingTokenError, NotFoundError, RateLimitedError, StoreUnavailableError, TesseraError,
  InvalidDpopProofError, UpstreamUnavailableError, UseDpopNonceError,
} from '../core/errors.js';
import { DPOP_ALGS } from '../core/dpop/dpop-proof.js';

import { setRateLimitHeaders } from './rate-limit-headers.js';
import { routePattern } from './route-pattern.js';
import type { OutageLog } from '../core/outage-log.js';

export const REALM = 'tessera';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/** RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E; also safe inside a quoted header value. */
export function safeDescription(message: string): string {
  return message.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ').slice(0, 300);
}

/** RFC 6750 §3, or with `dpop` RFC 9449 §7.1 (the `DPoP` scheme, naming the proof algorithms accepted). */
function bearerChallenge(realm: string, code: string | null, description: string, scope?: string, dpop = false): string {
  const parts = [`realm="${realm}"`];
  if (code) parts.push(`error="${code}"`, `error_description="${description}"`);
  if (scope) parts.push(`scope="${scope}"`);
  if (dpop) parts.push(`algs="${DPOP_ALGS.join(' ')}"`);
  return `${dpop ? 'DPoP' : 'Bearer'} ${parts.join(', ')}`;
}

// Errors of body-parser and the router (http-errors objects), by their `type`.
const HTTP_ERROR_STATUS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'request body is too large'],
  'parameters.too.many': [413, 'too many parameters'],
  'entity.parse.failed': [400, 'request body could not be parsed'],
  'charset.unsupported': [415, 'unsupported charset'],
  'encoding.unsupported': [415, 'unsupported content encoding'],
  'request.aborted': [400, 'request was aborted'],
  'request.size.invalid': [400, 'request size did not match Content-Length'],
  'stream.encoding.set': [500, 'internal error'],
};

/**
 * `realm` names the protection space of a bearer challenge (RFC 6750 §3):
 * /metrics has its own. `dpop`: the request is about a DPoP-bound token, so
 * challenges use the DPoP scheme and a bad proof is a 401 (RFC 9449 §7.1).
 */
export function toErrorAnswer(err: unknown, realm: string = REALM, dpop = false): ErrorAnswer {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  // A server-side configuration problem met at run time (e.g. the keys dir
  // became unwritable during a rotation): a 5xx, and no path names leak.
  if (err instanceof ConfigError) {
    return { status: 500, headers, body: { error: 'server_error', error_description: 'internal error' } };
  }
  if (err instanceof TesseraError) {
    const description = safeDescription(err.message);
    const body = { error: err.code, error_description: description };
    if (err instanceof InvalidClientError) {
      // RFC 6749 §5.2: 401 with a challenge of the scheme clients authenticate with.
      return { status: 401, headers: { ...headers, 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` }, body };
    }
    if (err instanceof MissingTokenError) {
      return { status: 401, headers: { ...headers, 'WWW-Authenticate': bearerChallenge(realm, null, description, undefined, dpop) }, body };
    }
    if (err instanceof InvalidTokenError || (dpop && err instanceof InvalidDpopProofError)) {
      return { status: 401, headers: { ...headers, 'WWW-Authenticate': bearerChallenge(realm, err.code, description, undefined, dpop) }, body };
    }
    if (err instanceof BearerRequestError) {
      return { status: 400, headers: { ...headers, 'WWW-Authenticate': bearerChallenge(realm, err.code, description, undefined, dpop) }, body };
    }
    if (err instanceof InsufficientScopeError) {
      return { status: 403, headers: { ...headers, 'WWW-Authenticate': bearerChallenge(realm, err.code, description, err.requiredScope, dpop) }, body };
    }
    if (err instanceof MethodNotAllowedError) return { status: 405, headers: { ...headers, Allow: err.allow.join(', ') }, body };
    if (err instanceof NotFoundError) return { status: 404, headers, body };
    if (err instanceof ConflictError) return { status: 409, headers, body };
    // RFC 9449 §8: the nonce to retry with.
    if (err instanceof UseDpopNonceError) return { status: 400, headers: { ...headers, 'DPoP-Nonce': err.nonce }, body };
    if (err instanceof UpstreamUnavailableError) return { status: 503, headers: { ...headers, 'Retry-After': '5' }, body };
    if (err instanceof RateLimitedError) return { status: 429, headers: { ...headers, 'Retry-After': String(err.retryAfterSeconds) }, body };
    if (err instanceof StoreUnavailableError) {
      return { status: 503, headers: { ...headers, 'Retry-After': '1' }, body: { error: err.code, error_description: 'the token store is unavailable; retry shortly' } };
    }
    if (err instanceof BusyError) return { status: 503, headers: { ...headers, 'Retry-After': '1' }, body };
    return { status: 400, headers, body };
  }
  const e = err as { type?: unknown; status?: unknown; expose?: unknown } | null;
  if (e && typeof e.type === 'string' && HTTP_ERROR_STATUS[e.type]) {
    const [status, description] = HTTP_ERROR_STATUS[e.type]!;
    if (status < 500) return { status, headers, body: { error: 'invalid_request', error_description: description } };
  }
  // Other 4xx errors of Express and its router (e.g. a path parameter that is not valid percent-encoding).
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, headers, body: { error: 'invalid_request', error_description: 'the request is malformed' } };
  }
  return { status: 500, headers, body: { error: 'server_error', error_description: 'internal error' } };
}

/** What the request metrics count an error answer by (src/http/request-metrics.ts). */
function noteErrorCode(res: Response, answer: ErrorAnswer): void {
  res.locals.errorCode = answer.body.error;
}

/** The realm a router set for its bearer challenges (`res.locals.bearerRealm`), else Tessera's. */
function realmOf(res: Response): string {
  return typeof res.locals.bearerRealm === 'string' ? res.locals.bearerRealm : REALM;
}

export function sendError(res: Response, err: unknown): void {
  const answer = toErrorAnswer(err, realmOf(res), res.locals.dpopChallenge === true);
  noteErrorCode(res, answer);
  res.status(answer.status).set(answer.headers).json(answer.body);
}

/** Marks an answer the store's failure caused: its request-log line goes to debug, the outage log counts it. */
export const STORE_OUTAGE = 'storeOutage';

/** What becomes of an error: its answer, and whether a store outage caused it (its log line then goes to debug). */
export interface ErrorOutcome {
  answer: ErrorAnswer;
  storeOutage: boolean;
}

/**
 * The error handler's work without Express: the answer, and the outage log
 * and error log it feeds. `pattern` is the route's pattern (route-pattern.ts);
 * the answers written in front of Express (form-endpoints-first.ts) call this
 * with their own.
 */
export function mapError(err: unknown, method: string, pattern: string, realm: string, dpop: boolean, logger: Logger, outage?: OutageLog): ErrorOutcome {
  const answer = toErrorAnswer(err, realm, dpop);
  let storeOutage = false;
  if (err instanceof StoreUnavailableError && outage) {
    storeOutage = true;
    outage.refused(err, `${method} ${pattern}`);
  }
  if (answer.status >= 500 && answer.status !== 503) {
    logger.error({ err: err instanceof Error ? { type: err.name, message: err.message } : String(err), method, route: pattern }, 'request failed');
  }
  return { answer, storeOutage };
}

export function errorHandler(logger: Logger, outage?: OutageLog): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { answer, storeOutage } = mapError(err, req.method, routePattern(req), realmOf(res), res.locals.dpopChallenge === true, logger, outage);
    noteErrorCode(res, answer);
    if (storeOutage) res.locals[STORE_OUTAGE] = true;
    setRateLimitHeaders(res);
    res.status(answer.status).set(answer.headers).json(answer.body);
  };
}
