/**
 * The public documents (the JWKS, the RFC 8414 metadata) answered in front
 * of Express, in the app's own request listener, with the answers their
 * Express routes give, byte for byte: the same status, the same headers in
 * the same order (the security headers computed once, X-Request-Id,
 * Cache-Control, ETag, Content-Type, Content-Length), 304 to a matching
 * If-None-Match, no body to HEAD, and the same request log line and metrics
 * (request-log.ts), under the route's pattern.
 *
 * Why this exists: these documents are read by every resource server and
 * verifier, often, and each answer is a few headers and one prepared string.
 * Express's own per-request work (its router trying each mounted router in
 * turn, the prototype swaps, the final handler and the closures it builds)
 * measured 180-210 µs of CPU per JWKS request on a bare Express 5 app
 * (bench/servers/express-baseline.mjs), above the 105-120 µs of
 * node-oidc-provider's whole answer (Koa): on Express's path the JWKS could
 * not be served as fast as the peer serves it, whatever the route did.
 *
 * Only GET and HEAD of the exact paths, with or without a query (which the
 * routes ignore, as Express matches the path alone), are answered here;
 * every other request, other methods of these paths included (405), and
 * the variants Express's matching also accepts (a trailing slash, another
 * letter case), goes to Express as before. The routes stay mounted there and
 * answer those.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import type { RequestContext } from '../core/audit.js';
import { isFresh, JSON_TYPE, type Preserialized } from './preserialized.js';
import { requestIdOf } from './request-context.js';
import { observeAnswer, type RequestObserver } from './request-log.js';
import { SECURITY_HEADERS } from './security-headers.js';

export interface PublicDocument {
  /** The exact path, which is also the pattern of its Express route (the request log and metrics name it). */
  readonly path: string;
  readonly cacheControl: string;
  /** The document as it is now (the JWKS changes with the keys). */
  readonly current: () => Preserialized;
}

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** The security headers as a flat name, value list, in the order the Express path sets them. */
const SECURITY = [...SECURITY_HEADERS].flat();

/** The document a request asks for, when it is a GET or HEAD of one of their exact paths. */
function documentFor(documents: ReadonlyMap<string, PublicDocument>, req: IncomingMessage): PublicDocument | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const url = req.url ?? '';
  const exact = documents.get(url);
  if (exact !== undefined) return exact;
  const query = url.indexOf('?');
  return query === -1 ? undefined : documents.get(url.slice(0, query));
}

/**
 * Puts the documents' answers in front of `app`'s router. Express's
 * application function hands every request to `app.handle` (express.js
 * createApplication), so this wraps it: `app` stays the one request listener
 * that src/main.ts serves and the tests call, with everything else Express's.
 */
export function answerPublicDocumentsFirst(app: Express, documents: readonly PublicDocument[], observer: RequestObserver): void {
  const byPath = new Map(documents.map((d) => [d.path, d]));
  const routed = app as unknown as { handle: Handle };
  const express = routed.handle;
  routed.handle = function handle(req, res, next) {
    const doc = documentFor(byPath, req);
    if (doc === undefined) return express.call(app, req, res, next);
    answer(app, doc, req, res, observer);
  };
}

function answer(app: Express, doc: PublicDocument, req: IncomingMessage, res: ServerResponse, observer: RequestObserver): void {
  const start = process.hrtime.bigint();
  const method = req.method as string;
  const requestId = requestIdOf(req);
  const context: RequestContext = {
    requestId,
    // req.ip, under the app's `trust proxy` setting (TESSERA_TRUST_PROXY).
    ip: proxyaddr(req, app.get('trust proxy fn')) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
    route: `${method} ${doc.path}`,
  };
  const current = doc.current();
  const headers: Array<string | number> = [...SECURITY, 'X-Request-Id', requestId, 'Cache-Control', doc.cacheControl, 'ETag', current.etag, 'Content-Type', JSON_TYPE];
  if (isFresh(req.headers, current.etag)) {
    observeAnswer(observer, method, doc.path, res, null, context, start);
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers.push('Content-Length', current.length);
  observeAnswer(observer, method, doc.path, res, current.length, context, start);
  res.writeHead(200, headers);
  // HEAD: the same headers, no body (RFC 9110 §9.3.2).
  if (method === 'HEAD') res.end();
  else res.end(current.body, 'utf8');
}
