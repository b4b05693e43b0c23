/** POST /oauth/introspect — RFC 7662. */
import { isIP } from 'node:net';
import type { Express } from 'express';
import { InvalidClientError, InvalidRequestError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { formBody, parseForm } from '../oauth-form.js';
import { presentedClient } from '../client-auth.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { isScopeToken } from '../../core/scopes.js';
import { MAX_SCOPES } from '../../store/usage-records.js';
import { formRoute, type FormEndpoint } from '../form-endpoint.js';

/** The `scope` extension: space-separated scope tokens (RFC 6749 §3.3), at most MAX_SCOPES. */
function neededScopes(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const scopes = [...new Set(value.split(' ').filter(Boolean))];
  if (scopes.length === 0 || scopes.length > MAX_SCOPES || !scopes.every(isScopeToken)) {
    throw new InvalidRequestError(`scope must be 1 to ${MAX_SCOPES} space-separated scope tokens (RFC 6749 §3.3)`);
  }
  return scopes;
}

/** Introspection's logic, for its Express route and its answer in front of Express (form-endpoints-first.ts). */
export function introspectEndpoint(ctx: AppContext): FormEndpoint {
  return {
    path: '/oauth/introspect',
    async answer(req) {
      const form = parseForm(req.body);
      const presented = presentedClient(req, form.params);
      // RFC 7662 §2.1 and §4: the caller must authenticate; a public client cannot.
      if (presented.method === 'none') throw new InvalidClientError('introspection needs client authentication');
      const token = form.params.token;
      // The token's store reads start now and leave with the caller's
      // authentication (one round trip); their results are used only once
      // the caller is authenticated, and dropped otherwise (RFC 7662 §2.1, §4).
      let prefetched = token === undefined ? undefined : ctx.introspection.prefetch(token, form.params.token_type_hint);
      const caller = await ctx.clientAuth.authenticate(presented, req.ip);
      if (token === undefined) throw new InvalidRequestError('token is required');
      // A proof that took longer than that round trip (scrypt, an assertion):
      // the token is read again, so a revocation made meanwhile is seen.
      if (prefetched && !ctx.clientAuth.provedAtOnce(presented, caller)) prefetched = undefined;
      // Extension: a resource server names the address the token reached it from, for API tokens' IP allowlists.
      const clientIp = form.params.client_ip;
      if (clientIp !== undefined && isIP(clientIp) === 0) throw new InvalidRequestError('client_ip must be an IPv4 or IPv6 address');
      // Extension: the route the token was presented on, for per-route usage counts ("which endpoints did it touch").
      const route = form.params.route;
      if (route !== undefined && !/^[\x20-\x7E]{1,200}$/.test(route)) throw new InvalidRequestError('route must be 1-200 printable ASCII characters, e.g. GET /orders');
      // Extension: the scopes the resource server needs for that request; those the token holds count as exercised (least-privilege report).
      const scopes = neededScopes(form.params.scope);
      const result = await ctx.introspection.introspect(token, form.params.token_type_hint, caller, {
        ip: clientIp ?? req.ip, route: route ?? 'POST /oauth/introspect', scopes: scopes ?? undefined,
      }, prefetched);
      return { status: 200, headers: NO_STORE, body: result };
    },
  };
}

/**
 * On the app itself, as the token endpoint is (token.ts): resource servers
 * introspect on every request they serve, so this route too costs one router
 * pass, and its answer is written directly (json-answer.ts).
 */
export function addIntrospectRoute(app: Express, ctx: AppContext): void {
  app.post('/oauth/introspect', formBody, formRoute(introspectEndpoint(ctx)));
  // route().all(), as Router.all() does: one catch-all route.
  app.route('/oauth/introspect').all(onlyMethods('POST'));
}
