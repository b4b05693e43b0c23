/**
 * /v1/me — self-service for users. A bearer access token of this server that
 * was issued to a user (not a client's own client_credentials token):
 *   GET /v1/me with any scope: who the caller is (like OIDC's UserInfo);
 *   everything else with the scope `tessera:tokens`: the user's own API
 *   tokens and sessions.
 */
import express, { Router, type RequestHandler } from 'express';
import { OwnApiTokenCreateSchema } from '../../core/api-tokens/api-token-input.js';
import { InsufficientScopeError } from '../../core/errors.js';
import type { AccessTokenClaims } from '../../core/tokens/access-token-validator.js';
import type { AppContext } from '../context.js';
import { requireBearer } from '../bearer-auth.js';
import { keepingContext } from '../request-context.js';
import { answerAfterAudit } from '../audited-actions.js';
import { onlyMethods } from '../method-guard.js';
import { apiTokenBehind, apiTokenRoutes } from '../api-tokens/api-token-routes.js';
import { reportRoutes } from '../reports/report-routes.js';
import { sessionRoutes } from '../sessions/session-routes.js';
import { CONSOLE_CLIENT_ID } from '../../core/console-client.js';

export const TOKENS_SCOPE = 'tessera:tokens';

/** A client's own token has `sub` = its client_id; a user's has the user's id, and the user exists. */
function requireUser(ctx: AppContext, scope: string): RequestHandler {
  return async (_req, res, next) => {
    const claims = res.locals.auth as AccessTokenClaims;
    const user = claims.sub !== claims.client_id ? await ctx.store.users.get(claims.sub) : null;
    if (!user || user.disabled) throw new InsufficientScopeError('a token issued to a user is required', scope);
    res.locals.user = user;
    res.locals.userId = user.id;
    next();
  };
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

export function meRouter(ctx: AppContext): Router {
  const router = Router();
  const self = (res: express.Response) => ({ type: 'user' as const, id: res.locals.userId as string });

  router.get('/', requireBearer(ctx, null), requireUser(ctx, TOKENS_SCOPE), noStore, async (_req, res) => {
    const claims = res.locals.auth as AccessTokenClaims;
    const user = res.locals.user as { id: string; username: string; roles: string[] };
    res.status(200).json({
      id: user.id,
      username: user.username,
      roles: [...user.roles],
      // What this token may do, which is what a page built on it can offer.
      scopes: claims.scope.split(' ').filter(Boolean),
      client_id: claims.client_id,
    });
  });
  router.all('/', onlyMethods('GET'));

  router.use(requireBearer(ctx, TOKENS_SCOPE));
  router.use(requireUser(ctx, TOKENS_SCOPE));
  // A change is answered only once its audit event is written.
  router.use(answerAfterAudit);
  router.use(keepingContext(express.json({ limit: '64kb', strict: true })));
  router.use(noStore);
  router.use(apiTokenRoutes(ctx, {
    base: '/v1/me/api-tokens',
    createSchema: OwnApiTokenCreateSchema,
    userFilter: false,
    caller: (res) => ({
      actor: self(res),
      owner: res.locals.userId as string,
      // The console is Tessera's own page, where the user signed in with their password: it acts as the user,
      // so a new token is held within the owner's roles only, not within the console token's fixed scopes.
      scopes: (res.locals.auth as AccessTokenClaims).client_id === CONSOLE_CLIENT_ID
        ? undefined
        : (res.locals.auth as AccessTokenClaims).scope.split(' ').filter(Boolean),
      via: apiTokenBehind(res),
    }),
  }));
  router.use(sessionRoutes(ctx, { path: '/sessions', owner: async (_req, res) => res.locals.userId as string, actor: self }));
  router.use(reportRoutes(ctx, { admin: false, caller: (res) => ({ owner: res.locals.userId as string }) }));
  return router;
}
