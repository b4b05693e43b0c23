/**
 * /v1/me — self-service for users: a bearer access token with the scope
 * `tessera:tokens` that was issued to a user (not a client's own
 * client_credentials token) manages that user's API tokens.
 */
import express, { Router, type RequestHandler } from 'express';
import { OwnApiTokenCreateSchema } from '../../core/api-tokens/api-token-input.js';
import { InsufficientScopeError } from '../../core/errors.js';
import type { AccessTokenClaims } from '../../core/tokens/access-token-validator.js';
import type { AppContext } from '../context.js';
import { requireBearer } from '../bearer-auth.js';
import { keepingContext } from '../request-context.js';
import { apiTokenRoutes } from '../api-tokens/api-token-routes.js';

export const TOKENS_SCOPE = 'tessera:tokens';

/** A client's own token has `sub` = its client_id; a user's has the user's id, and the user exists. */
function requireUser(ctx: AppContext): RequestHandler {
  return async (_req, res, next) => {
    const claims = res.locals.auth as AccessTokenClaims;
    const user = claims.sub !== claims.client_id ? await ctx.store.users.get(claims.sub) : null;
    if (!user || user.disabled) throw new InsufficientScopeError('a token issued to a user is required', TOKENS_SCOPE);
    res.locals.userId = user.id;
    next();
  };
}

export function meRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireBearer(ctx, TOKENS_SCOPE));
  router.use(requireUser(ctx));
  router.use(keepingContext(express.json({ limit: '64kb', strict: true })));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(apiTokenRoutes(ctx, {
    base: '/v1/me/api-tokens',
    createSchema: OwnApiTokenCreateSchema,
    userFilter: false,
    caller: (res) => ({
      actor: { type: 'user', id: res.locals.userId as string },
      owner: res.locals.userId as string,
      scopes: (res.locals.auth as AccessTokenClaims).scope.split(' ').filter(Boolean),
    }),
  }));
  return router;
}
