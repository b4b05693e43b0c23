/**
 * /admin/v1/webhooks — endpoints (create with the secret shown once, list,
 * get, update, delete, rotate the secret, send a test event) and the
 * dead-letter list with redelivery.
 */
import { Router, type Request } from 'express';
import { InvalidRequestError } from '../../core/errors.js';
import { WebhookCreateSchema, WebhookSecretRotateSchema, WebhookUpdateSchema } from '../../core/webhooks/webhook-input.js';
import { toDeliveryView, toWebhookView } from '../../core/webhooks/webhook-view.js';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { adminActor } from './actor.js';
import { pageRequest } from './paging.js';
import { parseBody } from './validate.js';

const BASE = '/admin/v1/webhooks';
const optionalBody = (req: Request): unknown => (req.body === undefined ? {} : req.body);

function endpointFilter(query: Request['query']): string | undefined {
  const e = query.endpoint;
  if (e === undefined) return undefined;
  if (typeof e !== 'string' || e.length < 1 || e.length > 100) throw new InvalidRequestError('endpoint must be one endpoint id, given once');
  return e;
}

export function webhooksAdmin(ctx: AppContext): Router {
  const router = Router();
  const now = ctx.now;

  // Before /webhooks/:id: `dead-letters` is not an endpoint id.
  router.get('/webhooks/dead-letters', async (req, res) => {
    const page = await ctx.webhooks.listDead({ endpointId: endpointFilter(req.query) }, pageRequest(req.query));
    res.status(200).json({ items: page.items.map(toDeliveryView), next_cursor: page.next_cursor });
  });

  router.post('/webhooks/dead-letters/:id/redeliver', async (req, res) => {
    const again = await ctx.webhooks.redeliver(String(req.params.id), adminActor(res));
    res.status(202).json(toDeliveryView(again));
  });
  router.all('/webhooks/dead-letters', onlyMethods('GET'));
  router.all('/webhooks/dead-letters/:id/redeliver', onlyMethods('POST'));

  router.post('/webhooks', async (req, res) => {
    const { endpoint, secret } = await ctx.webhooks.create(parseBody(WebhookCreateSchema, req.body), adminActor(res));
    res.status(201).set(NO_STORE).location(`${BASE}/${endpoint.id}`).json({ ...toWebhookView(endpoint, now()), secret });
  });

  router.get('/webhooks', async (req, res) => {
    const page = await ctx.webhooks.list(pageRequest(req.query));
    res.status(200).json({ items: page.items.map((e) => toWebhookView(e, now())), next_cursor: page.next_cursor });
  });

  router.get('/webhooks/:id', async (req, res) => {
    res.status(200).json(toWebhookView(await ctx.webhooks.get(String(req.params.id)), now()));
  });

  router.patch('/webhooks/:id', async (req, res) => {
    const endpoint = await ctx.webhooks.update(String(req.params.id), parseBody(WebhookUpdateSchema, req.body), adminActor(res));
    res.status(200).json(toWebhookView(endpoint, now()));
  });

  router.delete('/webhooks/:id', async (req, res) => {
    await ctx.webhooks.delete(String(req.params.id), adminActor(res));
    res.status(204).end();
  });

  router.post('/webhooks/:id/secret', async (req, res) => {
    const { grace_period } = parseBody(WebhookSecretRotateSchema, optionalBody(req));
    const { endpoint, secret } = await ctx.webhooks.rotateSecret(String(req.params.id), grace_period ?? 0, adminActor(res));
    res.status(200).set(NO_STORE).json({ ...toWebhookView(endpoint, now()), secret });
  });

  router.post('/webhooks/:id/test', async (req, res) => {
    const published = await ctx.webhooks.test(String(req.params.id), adminActor(res));
    res.status(202).json({ message_id: published.message_id, delivery_id: published.deliveries[0]?.id ?? null });
  });

  router.all('/webhooks', onlyMethods('GET', 'POST'));
  router.all('/webhooks/:id', onlyMethods('GET', 'PATCH', 'DELETE'));
  router.all('/webhooks/:id/secret', onlyMethods('POST'));
  router.all('/webhooks/:id/test', onlyMethods('POST'));
  return router;
}
