/**
 * The OAuth endpoints that take a form and answer JSON (the token endpoint,
 * introspection): each one's logic is one function of the request's
 * headers, body text and client address, answering a status, headers and a
 * body. Its Express route (formRoute) and its answer written in front of
 * Express's router (form-endpoints-first.ts) both call that function, so the
 * two cannot answer differently.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { formText, requireFormType } from './oauth-form.js';
import { sendJson } from './json-answer.js';

export interface FormRequest {
  readonly headers: IncomingHttpHeaders;
  /** The body's text, a form whose type is already checked (RFC 6749 Appendix B). */
  readonly body: string;
  /** The client's address as Express sees it (`req.ip`, under TESSERA_TRUST_PROXY). */
  readonly ip: string;
}

export interface JsonAnswer {
  readonly status: number;
  /** Set in this order, before Content-Type and Content-Length. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface FormEndpoint {
  /** The exact path, which is also the pattern of its Express route (the request log and metrics name it). */
  readonly path: string;
  /** Runs in the request's context (requestContext); a thrown error is answered by the one error mapper (error-response.ts). */
  answer(req: FormRequest): Promise<JsonAnswer>;
}

/** The endpoint as the handler of its Express route, after formBody has read the body. */
export function formRoute(endpoint: FormEndpoint): RequestHandler {
  return async (req, res) => {
    requireFormType(req);
    const answer = await endpoint.answer({ headers: req.headers, body: formText(req), ip: req.ip ?? '' });
    sendJson(res, answer.status, answer.headers, answer.body);
  };
}
