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
 * answer those. The token endpoint and introspection are answered in front
 * of Express the same way (form-endpoints-first.ts); the wrapping of the
 * app's handler is theirs and these documents' (in-front.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { isFresh, JSON_TYPE, type Preserialized } from './preserialized.js';
import { observeAnswer, type RequestObserver } from './request-log.js';
import { answerInFront, atExactPath, contextInFront, SECURITY } from './in-front.js';

export interface PublicDocument {
  /** The exact path, which is also the pattern of its Express route (the request log and metrics name it). */
  readonly path: string;
  readonly cacheControl: string;
  /** The document as it is now (the JWKS changes with the keys). */
  readonly current: () => Preserialized;
}

/** Puts the documents' answers in front of `app`'s router (in-front.ts): GET and HEAD of their exact paths. */
export function answerPublicDocumentsFirst(app: Express, documents: readonly PublicDocument[], observer: RequestObserver): void {
  const byPath = new Map(documents.map((d) => [d.path, d]));
  answerInFront(
    app,
    (req) => (req.method === 'GET' || req.method === 'HEAD' ? atExactPath(byPath, req) : undefined),
    (doc, req, res) => answer(app, doc, req, res, observer),
  );
}

function answer(app: Express, doc: PublicDocument, req: IncomingMessage, res: ServerResponse, observer: RequestObserver): void {
  const start = process.hrtime.bigint();
  const method = req.method as string;
  const context = contextInFront(app, req, doc.path);
  const current = doc.current();
  const headers: Array<string | number> = [...SECURITY, 'X-Request-Id', context.requestId, 'Cache-Control', doc.cacheControl, 'ETag', current.etag, 'Content-Type', JSON_TYPE];
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
