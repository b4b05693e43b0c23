/**
 * What the answers written in front of Express's router share
 * (public-documents.ts, form-endpoints-first.ts): the wrapping of
 * `app.handle`, the match of an exact path, the security headers as one
 * list, and the request context the Express path would have built.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import type { RequestContext } from '../core/audit.js';
import { requestIdOf } from './request-context.js';
import { SECURITY_HEADERS } from './security-headers.js';

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** The security headers as a flat name, value list, in the order the Express path sets them. */
export const SECURITY = [...SECURITY_HEADERS].flat();

/**
 * What `byPath` holds for the request's exact path, with or without a query
 * (Express matches the path alone). Only the exact path: the variants
 * Express's matching also accepts (a trailing slash, another letter case)
 * are left to it.
 */
export function atExactPath<T>(byPath: ReadonlyMap<string, T>, req: IncomingMessage): T | undefined {
  const url = req.url ?? '';
  const exact = byPath.get(url);
  if (exact !== undefined) return exact;
  const query = url.indexOf('?');
  return query === -1 ? undefined : byPath.get(url.slice(0, query));
}

/**
 * Puts `answer` in front of `app`'s router for the requests `pick` takes.
 * Express's application function hands every request to `app.handle`
 * (express.js createApplication), so this wraps it: `app` stays the one
 * request listener that src/main.ts serves and the tests call, with every
 * other request Express's, untouched.
 */
export function answerInFront<T>(
  app: Express, pick: (req: IncomingMessage) => T | undefined, answer: (target: T, req: IncomingMessage, res: ServerResponse) => void,
): void {
  const routed = app as unknown as { handle: Handle };
  const express = routed.handle;
  routed.handle = function handle(req, res, next) {
    const target = pick(req);
    if (target === undefined) return express.call(app, req, res, next);
    answer(target, req, res);
  };
}

/** The request's context as requestFrame (request-context.ts) builds it on the Express path, for the route at `path`. */
export function contextInFront(app: Express, req: IncomingMessage, path: string): RequestContext {
  return {
    requestId: requestIdOf(req),
    // req.ip, under the app's `trust proxy` setting (TESSERA_TRUST_PROXY).
    ip: proxyaddr(req, app.get('trust proxy fn')) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
    route: `${req.method as string} ${path}`,
  };
}
