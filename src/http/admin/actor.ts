import type { Response } from 'express';
import type { Actor } from '../../store/store.js';
import type { AccessTokenClaims } from '../../core/tokens/access-token-validator.js';

/**
 * Who is acting, for audit events: the user when the admin token was issued
 * to a person (an admin signed in to the console), else the admin client
 * behind it (a client_credentials token: `sub` is the client's own id).
 */
export function adminActor(res: Response): Actor {
  const auth = res.locals.auth as AccessTokenClaims | undefined;
  if (auth && auth.sub !== auth.client_id) return { type: 'user', id: auth.sub };
  return { type: 'client', id: auth?.client_id ?? null };
}
