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

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** `scope` null: any access token of this server will do (the route checks what it needs). */
export function requireBearer(ctx: Pick<AppContext, 'validator' | 'issuer'>, scope: string | null): RequestHandler {
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
    next();
  };
}
