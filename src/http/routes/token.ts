/** POST /oauth/token — RFC 6749 §3.2. */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { formBody, readForm } from '../oauth-form.js';
import { presentedClient } from '../client-auth.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { setRateLimitHeaders } from '../rate-limit-headers.js';
import { singleProof } from '../../core/dpop/dpop-proof.js';
import { JWT_BEARER_GRANT } from '../../core/federation/trust-policy-service.js';

export function tokenRoute(ctx: AppContext): Router {
  const router = Router();
  router.post('/oauth/token', formBody, async (req, res) => {
    // RFC 8707 §2 `resource` and RFC 8693 §2.1 `audience` may repeat; no other parameter may.
    const form = readForm(req, ['resource', 'audience']);
    // RFC 7521 §4.1: an assertion grant may come with no client authentication.
    const client = presentedClient(req, form.params, form.params.grant_type === JWT_BEARER_GRANT);
    const dpopProof = singleProof(req.headers.dpop);
    const answer = await ctx.tokenEndpoint.handle(client, {
      params: form.params,
      resources: form.multi.resource ?? [],
      audiences: form.multi.audience ?? [],
      ip: req.ip ?? '',
      ...(dpopProof !== undefined ? { dpopProof } : {}),
    });
    setRateLimitHeaders(res);
    // RFC 9449 §8: a DPoP client gets the nonce to put in its next proof.
    if (dpopProof !== undefined) res.set('DPoP-Nonce', await ctx.dpop.nonces.current());
    res.status(200).set(NO_STORE).json(answer);
  });
  router.all('/oauth/token', onlyMethods('POST'));
  return router;
}
