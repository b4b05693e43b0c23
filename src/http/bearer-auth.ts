/**
 * RFC 6750 bearer authentication for the admin API: an access token of this
 * server (RFC 9068 §4: signature, typ, iss, exp, aud naming this server),
 * not revoked, carrying the needed scope. A DPoP-bound token (RFC 9449 §7)
 * comes with the `DPoP` scheme and a proof of its key, never as a bearer
 * token: a stolen bound token is worth nothing here either.
 */
import type { RequestHandler } from 'express';
import { BearerRequestError, InsufficientScopeError, InvalidTokenError, MissingTokenError } from '../core/errors.js';
import { boundKeyOf, type AccessTokenClaims } from '../core/tokens/access-token-validator.js';
import { singleProof } from '../core/dpop/dpop-proof.js';
import type { AppContext } from './context.js';
import { requestContext } from '../core/audit.js';
import { credentialUsageExpiry, credentialUsageKey, type ScopeUseSink } from '../core/usage/scope-use.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; RFC 9449 §7.1 the same with "DPoP".
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

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
export function requireBearer(ctx: Pick<AppContext, 'validator' | 'issuer' | 'dpop'> & { scopeUse?: ScopeUseSink }, scope: string | null): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) throw new MissingTokenError('a bearer access token is required');
    const m = CREDENTIALS.exec(header);
    if (!m) throw new BearerRequestError('the Authorization header is not a Bearer or DPoP token');
    const dpopScheme = m[1]!.toLowerCase() === 'dpop';
    // Errors from here on challenge with the scheme the caller used (error-response.ts).
    if (dpopScheme) res.locals.dpopChallenge = true;
    const token = m[2]!;
    const claims = await ctx.validator.validate(token);
    // For the request log: whose token this is, even when it is refused below.
    const context = requestContext.getStore();
    if (context) {
      context.clientId = claims.client_id;
      context.tokenId = claims.jti;
    }
    const jkt = boundKeyOf(claims);
    if (jkt && !dpopScheme) {
      // RFC 9449 §7.2: a bound token presented as a bearer token is refused, with a DPoP challenge.
      res.locals.dpopChallenge = true;
      throw new InvalidTokenError('this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
    }
    if (!jkt && dpopScheme) throw new InvalidTokenError('this token is not DPoP-bound: send it with the Bearer scheme');
    if (jkt) {
      await ctx.dpop.forResource(singleProof(req.headers.dpop), {
        method: req.method,
        url: `${ctx.issuer}${req.originalUrl.split('?')[0]}`,
        accessToken: token,
        jkt,
      });
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(ctx.issuer)) throw new InvalidTokenError('the token is not meant for this server');
    if (scope !== null && !claims.scope.split(' ').includes(scope)) throw new InsufficientScopeError(`the ${scope} scope is required`, scope);
    res.locals.auth = claims satisfies AccessTokenClaims;
    if (scope !== null && ctx.scopeUse) noteScopeUse(ctx.scopeUse, claims, scope, `${req.method} ${req.baseUrl}/*`, req.ip ?? '');
    next();
  };
}
