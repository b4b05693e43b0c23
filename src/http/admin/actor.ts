import type { Response } from 'express';
import type { Actor } from '../../store/store.js';

/** The admin client behind this request (set by the bearer check), for audit events. */
export function adminActor(res: Response): Actor {
  return { type: 'client', id: (res.locals.auth?.client_id as string | undefined) ?? null };
}
