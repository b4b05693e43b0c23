/**
 * GET /.well-known/jwks.json — RFC 7517 key set, public keys only. The body
 * and ETag are computed by the key manager once per key change; resource
 * servers revalidate with If-None-Match and get 304.
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { sendPreserialized } from '../preserialized.js';

export function jwksRoute(ctx: AppContext): Router {
  const router = Router();
  const cacheControl = `public, max-age=${ctx.config.jwksMaxAge}`;
  router.get('/.well-known/jwks.json', (req, res) => {
    sendPreserialized(req, res, ctx.keys.jwks(), cacheControl);
  });
  router.all('/.well-known/jwks.json', onlyMethods('GET', 'HEAD'));
  return router;
}
