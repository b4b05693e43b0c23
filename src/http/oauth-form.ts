/**
 * Form bodies of the token, revocation and introspection endpoints
 * (RFC 6749 Appendix B). Parsed with URLSearchParams from the raw text so
 * that repeated parameters are seen exactly.
 */
import type { IncomingMessage } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import { InvalidRequestError } from '../core/errors.js';
import { requestContext } from '../core/audit.js';
import { keepingContext } from './request-context.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const FORM_TYPE_UTF8 = `${FORM_TYPE}; charset=utf-8`;
const MAX_PARAMS = 100;
const LIMIT = 16 * 1024;
const DIGITS = /^[0-9]{1,5}$/;
const SURROGATE = /[\uD800-\uDFFF]/;

/** body-parser's reader: every charset iconv-lite knows, compressed bodies, chunked bodies; its errors. */
const generalBody = keepingContext(express.text({ type: FORM_TYPE, limit: LIMIT, defaultCharset: 'utf-8' }));

/** An error the one error mapper (error-response.ts) answers by its `type`, as it does body-parser's. */
function bodyError(type: string, message: string): Error {
  return Object.assign(new Error(message), { status: 400, statusCode: 400, expose: true, type });
}

/**
 * What nearly every OAuth client sends: a UTF-8 (or charset-less) form, not
 * compressed, its length given and within the limit. Read here in a few
 * lines, as body-parser would read it (same text, same errors), without its
 * per-request machinery (content-type parsing, iconv, an async resource per
 * body); everything else goes through body-parser.
 */
export function isPlainForm(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
  const length = h['content-length'];
  if (typeof length !== 'string' || !DIGITS.test(length) || Number(length) > LIMIT) return false;
  const type = h['content-type'];
  if (type === FORM_TYPE) return true;
  if (typeof type !== 'string') return false;
  const lower = type.toLowerCase();
  return lower === FORM_TYPE || lower === FORM_TYPE_UTF8;
}

/**
 * Reads a plain form's body (isPlainForm) as body-parser would: the text,
 * or body-parser's errors for a body shorter than its Content-Length or an
 * aborted request. `done` runs once, in the stream's async context.
 */
export function readPlainForm(req: IncomingMessage, done: (err: Error | undefined, text: string) => void): void {
  const expected = Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const settle = (err: Error | undefined, text: string) => {
    if (settled) return;
    // The listeners stay (removing four costs more than they do): after 'end' only an abort can still fire, and it finds the body settled.
    settled = true;
    if (err !== undefined) req.resume();
    done(err, text);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (received !== expected) return settle(bodyError('request.size.invalid', 'request size did not match content length'), '');
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
    // As iconv-lite (body-parser's decoder) does: a leading byte order mark is not part of the text.
    settle(undefined, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  };
  const onAborted = () => settle(bodyError('request.aborted', 'request aborted'), '');
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onAborted);
}

/** Reads the body as text (charset honoured) up to 16 kB; larger is 413. */
export const formBody: RequestHandler = (req, res, next) => {
  if (!isPlainForm(req)) return generalBody(req, res, next);
  // The stream's events run in the connection's async context: the handlers after this one get the request's back.
  const store = requestContext.getStore();
  readPlainForm(req, (err, text) => {
    if (err === undefined) req.body = text;
    if (store) requestContext.run(store, next as (e?: Error) => void, err);
    else next(err);
  });
};

export interface OAuthForm {
  params: Record<string, string>;
  multi: Record<string, string[]>;
}

/**
 * The pairs of a form body as the WHATWG urlencoded parser (URLSearchParams)
 * gives them, split here directly when every escape in it is well-formed
 * UTF-8 (decodeURIComponent then decodes exactly as that parser does), which
 * spares URLSearchParams' slower iteration on every token request; any other
 * body is left to URLSearchParams itself.
 */
function formPairs(text: string): Array<[string, string]> {
  // A lone surrogate: URLSearchParams replaces it, decodeURIComponent would keep it.
  if (SURROGATE.test(text)) return [...new URLSearchParams(text)];
  const pairs: Array<[string, string]> = [];
  let from = 0;
  try {
    while (from <= text.length) {
      let end = text.indexOf('&', from);
      if (end === -1) end = text.length;
      if (end > from) {
        const eq = text.indexOf('=', from);
        const split = eq === -1 || eq > end ? end : eq;
        pairs.push([decodeFormPart(text.slice(from, split)), split === end ? '' : decodeFormPart(text.slice(split + 1, end))]);
      }
      from = end + 1;
    }
  } catch {
    return [...new URLSearchParams(text)];
  }
  return pairs;
}

function decodeFormPart(part: string): string {
  const spaced = part.includes('+') ? part.replace(/\+/g, ' ') : part;
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
}

/** RFC 6749 Appendix B: the endpoints take form bodies only. */
export function requireFormType(req: Request): void {
  // The exact type (what formBody's own reader takes) needs no parsing.
  if (req.headers['content-type'] !== FORM_TYPE && !req.is(FORM_TYPE)) throw new InvalidRequestError(`the request body must be ${FORM_TYPE}`);
}

/** The text formBody read, once the type is checked ('' when there was no body). */
export function formText(req: Request): string {
  return typeof req.body === 'string' ? req.body : '';
}

export function readForm(req: Request, repeatable: readonly string[] = []): OAuthForm {
  requireFormType(req);
  return parseForm(formText(req), repeatable);
}

/** The parameters of a form body; `repeatable` names those that may come more than once. */
export function parseForm(text: string, repeatable: readonly string[] = []): OAuthForm {
  const params: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  let count = 0;
  for (const [key, value] of formPairs(text)) {
    if (++count > MAX_PARAMS) throw new InvalidRequestError('too many parameters');
    // RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
    if (value === '') continue;
    if (repeatable.includes(key)) {
      (multi[key] ??= []).push(value);
      continue;
    }
    // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
    if (key in params) throw new InvalidRequestError(`parameter ${key.slice(0, 40)} is repeated`);
    params[key] = value;
  }
  return { params, multi };
}
