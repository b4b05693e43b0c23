/** /admin/v1/trust-policies — federated workload identity: create, list, get, update, delete. */
import { Router } from 'express';
import { TrustPolicyCreateSchema, TrustPolicyIdSchema, TrustPolicyUpdateSchema } from '../../core/federation/trust-policy-input.js';
import { NotFoundError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from './paging.js';
import { parseBody } from './validate.js';
import { adminActor } from './actor.js';

function policyId(raw: string | string[] | undefined): string {
  const parsed = TrustPolicyIdSchema.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('trust policy does not exist');
  return parsed.data;
}

export function trustPoliciesAdmin(ctx: AppContext): Router {
  const router = Router();

  router.post('/trust-policies', async (req, res) => {
    const policy = await ctx.trustPolicies.create(parseBody(TrustPolicyCreateSchema, req.body));
    ctx.audit.record({ type: 'trust_policy.created', actor: adminActor(res), subject: policy.id, client_id: policy.client_id, detail: { issuer: policy.issuer } });
    res.status(201).location(`/admin/v1/trust-policies/${encodeURIComponent(policy.id)}`).json(policy);
  });

  router.get('/trust-policies', async (req, res) => {
    const page = await ctx.trustPolicies.list(pageRequest(req.query));
    res.status(200).json({ items: page.items, next_cursor: page.next_cursor });
  });

  router.get('/trust-policies/:id', async (req, res) => {
    res.status(200).json(await ctx.trustPolicies.get(policyId(req.params.id)));
  });

  router.patch('/trust-policies/:id', async (req, res) => {
    const id = policyId(req.params.id);
    const policy = await ctx.trustPolicies.update(id, parseBody(TrustPolicyUpdateSchema, req.body));
    ctx.audit.record({ type: 'trust_policy.updated', actor: adminActor(res), subject: id, client_id: policy.client_id, detail: { issuer: policy.issuer } });
    res.status(200).json(policy);
  });

  router.delete('/trust-policies/:id', async (req, res) => {
    const id = policyId(req.params.id);
    await ctx.trustPolicies.delete(id);
    ctx.audit.record({ type: 'trust_policy.deleted', actor: adminActor(res), subject: id });
    res.status(204).end();
  });

  router.all('/trust-policies', onlyMethods('GET', 'POST'));
  router.all('/trust-policies/:id', onlyMethods('GET', 'PATCH', 'DELETE'));
  return router;
}
