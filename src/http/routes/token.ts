/** POST /oauth/token — RFC 6749 §3.2. */
import type { Express } from 'express';
import type { AppContext } from '../context.js';
import { formBody, parseForm } from '../oauth-form.js';
import { presentedClient } from '../client-auth.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { rateLimitHeaders } from '../rate-limit-headers.js';
import { formRoute, type FormEndpoint } from '../form-endpoint.js';
import { singleProof } from '../../core/dpop/dpop-proof.js';
import { JWT_BEARER_GRANT } from '../../core/federation/trust-policy-service.js';

/** The token endpoint's logic, for its Express route and its answer in front of Express (form-endpoints-first.ts). */
export function tokenEndpoint(ctx: AppContext): FormEndpoint {
  return {
    path: '/oauth/token',
    async answer(req) {
      // RFC 8707 §2 `resource` and RFC 8693 §2.1 `audience` may repeat; no other parameter may.
      const form = parseForm(req.body, ['resource', 'audience']);
      // RFC 7521 §4.1: an assertion grant may come with no client authentication.
      const client = presentedClient(req, form.params, form.params.grant_type === JWT_BEARER_GRANT);
      const dpopProof = singleProof(req.headers.dpop);
      const answer = await ctx.tokenEndpoint.handle(client, {
        params: form.params,
        resources: form.multi.resource ?? [],
        audiences: form.multi.audience ?? [],
        ip: req.ip,
        ...(dpopProof !== undefined ? { dpopProof } : {}),
      });
      const limits = rateLimitHeaders();
      // RFC 9449 §8: a DPoP client gets the nonce to put in its next proof.
      const nonce = dpopProof !== undefined ? { 'DPoP-Nonce': await ctx.dpop.nonces.current() } : null;
      return { status: 200, headers: { ...limits, ...nonce, ...NO_STORE }, body: answer };
    },
  };
}

/**
 * Registered on the app itself rather than in a router of its own: the
 * busiest route then costs one router pass per request, not two (a mounted
 * router saves and restores the request's routing state each time).
 */
export function addTokenRoute(app: Express, ctx: AppContext): void {
  app.post('/oauth/token', formBody, formRoute(tokenEndpoint(ctx)));
  // route().all(), as Router.all() does: one catch-all route (app.all() would add one route per method).
  app.route('/oauth/token').all(onlyMethods('POST'));
}
