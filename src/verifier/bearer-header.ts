/**
 * Finds the token of a request: only the `Authorization` header, scheme
 * `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1). Tokens in the query (§2.3) end up in logs and browser
 * history (§5.3), and the form body (§2.2) is not ours to parse, so neither
 * is accepted; a token sent there too is two methods at once, which §3.1
 * calls `invalid_request`.
 */
import type { Request } from 'express';
import { invalidRequest, missingToken } from './bearer-errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, and RFC 9449 §7.1 the
// same with "DPoP"; the scheme is case-insensitive (RFC 7235 §2.1).
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: |$)/;

export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/** The token and the scheme it came with, or throws the BearerError the request has earned. `dpopOnly`: challenges say DPoP. */
export function presentedToken(req: Request, dpopOnly = false): PresentedToken {
  const header = req.headers.authorization;
  const inQuery = typeof req.query === 'object' && req.query !== null && 'access_token' in req.query;
  if (header === undefined || header === '') {
    if (inQuery) throw invalidRequest('send the token in the Authorization header, not the query', dpopOnly);
    throw missingToken(dpopOnly);
  }
  const scheme = SCHEME.exec(header)?.[1]?.toLowerCase();
  // Another scheme (Basic, ...) carries no token credentials: a plain challenge, as for none (§3.1).
  if (scheme !== undefined && scheme !== 'bearer' && scheme !== 'dpop') throw missingToken(dpopOnly);
  const m = CREDENTIALS.exec(header);
  if (!m) throw invalidRequest('the Authorization header is not a Bearer or DPoP token', dpopOnly || scheme === 'dpop');
  if (inQuery) throw invalidRequest('send the token in one place only', dpopOnly || scheme === 'dpop');
  return { scheme: m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2]! };
}
