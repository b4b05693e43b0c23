/** /admin/v1/users — create, list, get, update, delete, revoke-tokens. */
import { Router } from 'express';
import { z } from 'zod';
import { UserCreateSchema, UserUpdateSchema } from '../../core/users/user-input.js';
import { toUserView } from '../../core/users/user-view.js';
import { NotFoundError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import type { UserRecord } from '../../store/store.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from './paging.js';
import { parseBody } from './validate.js';
import { adminActor } from './actor.js';
import { sessionRoutes } from '../sessions/session-routes.js';

// A user is named by id (usr_...) or by username, as people know them (and as API tokens' `user` field allows).
const UserRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$|^usr_[A-Za-z0-9_-]{1,64}$/);

async function userParam(ctx: AppContext, raw: string | string[] | undefined): Promise<UserRecord> {
  const parsed = UserRef.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('user does not exist');
  return ctx.users.resolve(parsed.data);
}

const userIdParam = async (ctx: AppContext, raw: string | string[] | undefined): Promise<string> => (await userParam(ctx, raw)).id;

export function usersAdmin(ctx: AppContext): Router {
  const router = Router();

  router.post('/users', async (req, res) => {
    const user = await ctx.users.create(parseBody(UserCreateSchema, req.body));
    ctx.audit.record({ type: 'user.created', actor: adminActor(res), subject: user.id, detail: { username: user.username, roles: user.roles } });
    res.status(201).location(`/admin/v1/users/${user.id}`).json(toUserView(user));
  });

  router.get('/users', async (req, res) => {
    const page = await ctx.users.list(pageRequest(req.query));
    res.status(200).json({ items: page.items.map(toUserView), next_cursor: page.next_cursor });
  });

  router.get('/users/:id', async (req, res) => {
    res.status(200).json(toUserView(await userParam(ctx, req.params.id)));
  });

  router.patch('/users/:id', async (req, res) => {
    const patch = parseBody(UserUpdateSchema, req.body);
    const user = await ctx.users.update(await userIdParam(ctx, req.params.id), patch);
    // Which fields changed, never the password itself.
    ctx.audit.record({ type: 'user.updated', actor: adminActor(res), subject: user.id, detail: { fields: Object.keys(patch), roles: user.roles, disabled: user.disabled } });
    res.status(200).json(toUserView(user));
  });

  router.delete('/users/:id', async (req, res) => {
    const id = await userIdParam(ctx, req.params.id);
    await ctx.users.delete(id);
    ctx.audit.record({ type: 'user.deleted', actor: adminActor(res), subject: id });
    res.status(204).end();
  });

  router.post('/users/:id/revoke-tokens', async (req, res) => {
    const user = await ctx.users.revokeTokens(await userIdParam(ctx, req.params.id));
    ctx.audit.record({ type: 'user.tokens_revoked', actor: adminActor(res), subject: user.id });
    res.status(200).json(toUserView(user));
  });

  router.use(sessionRoutes(ctx, {
    path: '/users/:id/sessions',
    owner: (req) => userIdParam(ctx, req.params.id),
    actor: adminActor,
  }));

  router.all('/users', onlyMethods('GET', 'POST'));
  router.all('/users/:id', onlyMethods('GET', 'PATCH', 'DELETE'));
  router.all('/users/:id/revoke-tokens', onlyMethods('POST'));
  return router;
}
