/** /admin/v1/roles — roles map to scopes; PUT creates or replaces. */
import { Router } from 'express';
import { NameSchema, RolePutSchema } from '../../core/users/user-input.js';
import { NotFoundError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { parseBody } from './validate.js';
import { adminActor } from './actor.js';

function roleName(raw: string | string[] | undefined): string {
  const parsed = NameSchema.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('role does not exist');
  return parsed.data;
}

export function rolesAdmin(ctx: AppContext): Router {
  const router = Router();
  router.get('/roles', async (_req, res) => {
    res.status(200).json({ items: await ctx.users.listRoles() });
  });
  router.get('/roles/:name', async (req, res) => {
    res.status(200).json(await ctx.users.getRole(roleName(req.params.name)));
  });
  router.put('/roles/:name', async (req, res) => {
    const name = roleName(req.params.name);
    const { role, outcome } = await ctx.users.putRole(name, parseBody(RolePutSchema, req.body).scopes);
    ctx.audit.record({ type: `role.${outcome}`, actor: adminActor(res), subject: name, detail: { scopes: role.scopes } });
    res.status(outcome === 'created' ? 201 : 200).json(role);
  });
  router.delete('/roles/:name', async (req, res) => {
    const name = roleName(req.params.name);
    await ctx.users.deleteRole(name);
    ctx.audit.record({ type: 'role.deleted', actor: adminActor(res), subject: name });
    res.status(204).end();
  });
  router.all('/roles', onlyMethods('GET'));
  router.all('/roles/:name', onlyMethods('GET', 'PUT', 'DELETE'));
  return router;
}
