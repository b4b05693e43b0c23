/**
 * Finds the bearer token of a request: only the `Authorization` header
 * (RFC 6750 §2.1). Tokens in the query (§2.3) end up in logs and browser
 * history (§5.3), and the form body (§2.2) is not ours to parse, so neither
 * is accepted; a token sent there too is two methods at once, which §3.1
 * calls `invalid_request`.
 */
import type { Request } from 'express';
import { invalidRequest, missingToken } from './bearer-errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: |$)/;

/** The token, or throws the BearerError the request has earned. */
export function bearerToken(req: Request): string {
  const header = req.headers.authorization;
  const inQuery = typeof req.query === 'object' && req.query !== null && 'access_token' in req.query;
  if (header === undefined || header === '') {
    if (inQuery) throw invalidRequest('send the token in the Authorization header, not the query');
    throw missingToken();
  }
  const scheme = SCHEME.exec(header)?.[1];
  // Another scheme (Basic, ...) carries no bearer credentials: a plain challenge, as for none (§3.1).
  if (scheme !== undefined && scheme.toLowerCase() !== 'bearer') throw missingToken();
  const m = BEARER.exec(header);
  if (!m) throw invalidRequest('the Authorization header is not a Bearer token');
  if (inQuery) throw invalidRequest('send the token in one place only');
  return m[1]!;
}
