/** /admin/v1/clients — create, list, get, update, delete, rotate secret. */
import { Router } from 'express';
import { ClientCreateSchema, ClientIdSchema, ClientUpdateSchema } from '../../core/clients/client-input.js';
import { toClientView } from '../../core/clients/client-view.js';
import { NotFoundError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from './paging.js';
import { parseBody } from './validate.js';
import { adminActor } from './actor.js';
import { NarrowSchema } from '../../core/reports/report-input.js';
import { DEFAULT_WINDOW } from '../../core/reports/least-privilege.js';

function clientIdParam(raw: string | string[] | undefined): string {
  const parsed = ClientIdSchema.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('client does not exist');
  return parsed.data;
}

export function clientsAdmin(ctx: AppContext): Router {
  const router = Router();

  router.post('/clients', async (req, res) => {
    const { client, secret } = await ctx.clients.create(parseBody(ClientCreateSchema, req.body));
    const body = secret ? { ...toClientView(client), client_secret: secret } : toClientView(client);
    ctx.audit.record({ type: 'client.created', actor: adminActor(res), subject: client.client_id, client_id: client.client_id });
    res.status(201).set(NO_STORE).location(`/admin/v1/clients/${encodeURIComponent(client.client_id)}`).json(body);
  });

  router.get('/clients', async (req, res) => {
    const page = await ctx.clients.list(pageRequest(req.query));
    res.status(200).json({ items: page.items.map(toClientView), next_cursor: page.next_cursor });
  });

  router.get('/clients/:id', async (req, res) => {
    res.status(200).json(toClientView(await ctx.clients.get(clientIdParam(req.params.id))));
  });

  router.patch('/clients/:id', async (req, res) => {
    const id = clientIdParam(req.params.id);
    const client = await ctx.clients.update(id, parseBody(ClientUpdateSchema, req.body));
    ctx.audit.record({ type: 'client.updated', actor: adminActor(res), subject: id, client_id: id });
    res.status(200).json(toClientView(client));
  });

  router.delete('/clients/:id', async (req, res) => {
    const id = clientIdParam(req.params.id);
    await ctx.clients.delete(id);
    ctx.audit.record({ type: 'client.deleted', actor: adminActor(res), subject: id, client_id: id });
    res.status(204).end();
  });

  router.post('/clients/:id/secret', async (req, res) => {
    const { client, secret } = await ctx.clients.rotateSecret(clientIdParam(req.params.id));
    ctx.audit.record({ type: 'client.secret_rotated', actor: adminActor(res), subject: client.client_id, client_id: client.client_id });
    res.status(200).set(NO_STORE).json({ ...toClientView(client), client_secret: secret });
  });

  // Least privilege: keep only the scopes the client's tokens exercised within the window (docs/hygiene.md).
  router.post('/clients/:id/narrow', async (req, res) => {
    const { window } = parseBody(NarrowSchema, req.body === undefined ? {} : req.body);
    const narrowed = await ctx.leastPrivilege.narrowClient(clientIdParam(req.params.id), window ?? DEFAULT_WINDOW, adminActor(res));
    res.status(200).json({ client: toClientView(narrowed.value), removed: narrowed.removed, window: narrowed.window });
  });

  router.all('/clients', onlyMethods('GET', 'POST'));
  router.all('/clients/:id', onlyMethods('GET', 'PATCH', 'DELETE'));
  router.all('/clients/:id/secret', onlyMethods('POST'));
  router.all('/clients/:id/narrow', onlyMethods('POST'));
  return router;
}
