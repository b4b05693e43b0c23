/**
 * RFC 6750 bearer authentication for the admin API: an access token of this
 * server (RFC 9068 §4: signature, typ, iss, exp, aud naming this server),
 * not revoked, carrying the needed scope.
 */
import type { RequestHandler } from 'express';
import { BearerRequestError, InsufficientScopeError, InvalidTokenError, MissingTokenError } from '../core/errors.js';
import type { AccessTokenClaims } from '../core/tokens/access-token-validator.js';
import type { AppContext } from './context.js';
import { requestContext } from '../core/audit.js';
import { credentialUsageExpiry, credentialUsageKey, type ScopeUseSink } from '../core/usage/scope-use.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The credential behind the token (its client, or the API token it was
 * exchanged from) used `scope` here. Not awaited: a failed or slow write
 * never holds up or fails the request.
 */
function noteScopeUse(sink: ScopeUseSink, claims: AccessTokenClaims, scope: string, route: string, ip: string): void {
  const key = credentialUsageKey(claims);
  if (key === null) return;
  const now = sink.now();
  sink.usage.record(key, { route, ip, atMs: now, scopes: [scope] }, credentialUsageExpiry(key, claims.exp * 1000, now)).catch(sink.onError);
}

/** `scope` null: any access token of this server will do (the route checks what it needs). */
export function requireBearer(ctx: Pick<AppContext, 'validator' | 'issuer'> & { scopeUse?: ScopeUseSink }, scope: string | null): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) throw new MissingTokenError('a bearer access token is required');
    const m = BEARER.exec(header);
    if (!m) throw new BearerRequestError('the Authorization header is not a Bearer token');
    const claims = await ctx.validator.validate(m[1]!);
    // For the request log: whose token this is, even when it is refused below.
    const context = requestContext.getStore();
    if (context) {
      context.clientId = claims.client_id;
      context.tokenId = claims.jti;
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(ctx.issuer)) throw new InvalidTokenError('the token is not meant for this server');
    if (scope !== null && !claims.scope.split(' ').includes(scope)) throw new InsufficientScopeError(`the ${scope} scope is required`, scope);
    res.locals.auth = claims satisfies AccessTokenClaims;
    if (scope !== null && ctx.scopeUse) noteScopeUse(ctx.scopeUse, claims, scope, `${req.method} ${req.baseUrl}/*`, req.ip ?? '');
    next();
  };
}
