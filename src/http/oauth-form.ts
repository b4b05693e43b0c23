/**
 * Form bodies of the token, revocation and introspection endpoints
 * (RFC 6749 Appendix B). Parsed with URLSearchParams from the raw text so
 * that repeated parameters are seen exactly.
 */
import express, { type Request } from 'express';
import { InvalidRequestError } from '../core/errors.js';
import { keepingContext } from './request-context.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const MAX_PARAMS = 100;

/** Reads the body as text (charset honoured) up to 16 kB; larger is 413. */
export const formBody = keepingContext(express.text({ type: FORM_TYPE, limit: '16kb', defaultCharset: 'utf-8' }));

export interface OAuthForm {
  params: Record<string, string>;
  multi: Record<string, string[]>;
}

export function readForm(req: Request, repeatable: readonly string[] = []): OAuthForm {
  if (!req.is(FORM_TYPE)) throw new InvalidRequestError(`the request body must be ${FORM_TYPE}`);
  const text = typeof req.body === 'string' ? req.body : '';
  const search = new URLSearchParams(text);
  const params: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  let count = 0;
  for (const [key, value] of search) {
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
