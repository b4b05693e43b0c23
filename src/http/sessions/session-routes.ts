/**
 * A user's sessions (live refresh-token families), mounted twice with one
 * implementation: under /admin/v1/users/{id} for any user, and under /v1/me
 * for the caller's own. The mount decides whose sessions and who acts.
 */
import { Router, type Request, type Response } from 'express';
import type { Actor } from '../../store/store.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from '../admin/paging.js';

export interface SessionMount {
  /** The list's route, e.g. `/users/:id/sessions`; one session is `${path}/:session_id`. */
  path: string;
  /** The user whose sessions these are (throws NotFoundError for an unknown one). */
  owner(req: Request, res: Response): Promise<string>;
  actor(res: Response): Actor;
}

export function sessionRoutes(ctx: AppContext, mount: SessionMount): Router {
  const router = Router();

  router.get(mount.path, async (req, res) => {
    const { items, next_cursor } = await ctx.sessions.list(await mount.owner(req, res), pageRequest(req.query));
    res.status(200).json({ items: await ctx.sessions.views(items), next_cursor });
  });

  // Ends the session: its refresh token and the access tokens it issued (RFC 7009 §2.1's effect, by id).
  router.delete(`${mount.path}/:session_id`, async (req, res) => {
    await ctx.sessions.revoke(await mount.owner(req, res), String(req.params.session_id), mount.actor(res));
    res.status(204).end();
  });

  router.all(mount.path, onlyMethods('GET'));
  router.all(`${mount.path}/:session_id`, onlyMethods('DELETE'));
  return router;
}
