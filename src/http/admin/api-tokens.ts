/** /admin/v1/api-tokens — any user's API tokens, for holders of `tessera:admin`. */
import type { Router } from 'express';
import { ApiTokenCreateSchema } from '../../core/api-tokens/api-token-input.js';
import type { AppContext } from '../context.js';
import { apiTokenBehind, apiTokenRoutes } from '../api-tokens/api-token-routes.js';
import { adminActor } from './actor.js';

export function apiTokensAdmin(ctx: AppContext): Router {
  return apiTokenRoutes(ctx, {
    base: '/admin/v1/api-tokens',
    createSchema: ApiTokenCreateSchema,
    userFilter: true,
    // The person when an admin signed in (the console), else the admin client.
    caller: (res) => ({ actor: adminActor(res), via: apiTokenBehind(res) }),
  });
}
