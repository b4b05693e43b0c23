/** POST /oauth/token — RFC 6749 §3.2. */
import type { Express } from 'express';
import type { AppContext } from '../context.js';
import { formBody, readForm } from '../oauth-form.js';
import { presentedClient } from '../client-auth.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { sendJson } from '../json-answer.js';
import { setRateLimitHeaders } from '../rate-limit-headers.js';
import { singleProof } from '../../core/dpop/dpop-proof.js';
import { JWT_BEARER_GRANT } from '../../core/federation/trust-policy-service.js';

/**
 * Registered on the app itself rather than in a router of its own: the
 * busiest route then costs one router pass per request, not two (a mounted
 * router saves and restores the request's routing state each time).
 */
export function addTokenRoute(app: Express, ctx: AppContext): void {
  app.post('/oauth/token', formBody, async (req, res) => {
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
    sendJson(res, 200, NO_STORE, answer);
  });
  // route().all(), as Router.all() does: one catch-all route (app.all() would add one route per method).
  app.route('/oauth/token').all(onlyMethods('POST'));
}
