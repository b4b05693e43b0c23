/**
 * GET /.well-known/jwks.json — RFC 7517 key set, public keys only. The body
 * and ETag are computed by the key manager once per key change; resource
 * servers revalidate with If-None-Match and get 304.
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { sendPreserialized } from '../preserialized.js';
import type { PublicDocument } from '../public-documents.js';

/** The key set as the route serves it; also answered before Express (public-documents.ts). */
export function jwksDocument(ctx: AppContext): PublicDocument {
  // Read on every request: a key change replaces the key manager's document.
  return { path: '/.well-known/jwks.json', cacheControl: `public, max-age=${ctx.config.jwksMaxAge}`, current: () => ctx.keys.jwks() };
}

export function jwksRoute(ctx: AppContext): Router {
  const router = Router();
  const { path, cacheControl, current } = jwksDocument(ctx);
  router.get(path, (req, res) => {
    sendPreserialized(req, res, current(), cacheControl);
  });
  router.all(path, onlyMethods('GET', 'HEAD'));
  return router;
}
