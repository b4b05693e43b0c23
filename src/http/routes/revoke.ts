/** POST /oauth/revoke — RFC 7009. */
import { Router } from 'express';
import { InvalidRequestError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { formBody, readForm } from '../oauth-form.js';
import { presentedClient } from '../client-auth.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';

export function revokeRoute(ctx: AppContext): Router {
  const router = Router();
  router.post('/oauth/revoke', formBody, async (req, res) => {
    const form = readForm(req);
    // RFC 7009 §2.1: the client authenticates as at the token endpoint (public clients name themselves).
    const client = await ctx.clientAuth.authenticate(presentedClient(req, form.params), req.ip ?? '');
    const token = form.params.token;
    if (token === undefined) throw new InvalidRequestError('token is required');
    const revoked = await ctx.revocation.revoke(token, form.params.token_type_hint, client);
    if (revoked) {
      ctx.audit.record({ type: 'token.revoked', actor: { type: 'client', id: client.client_id }, token_id: revoked.id, client_id: client.client_id, detail: { kind: revoked.kind } });
    }
    // RFC 7009 §2.2: 200 whether or not the token was known; the body is ignored by clients.
    res.status(200).set(NO_STORE).end();
  });
  router.all('/oauth/revoke', onlyMethods('POST'));
  return router;
}
