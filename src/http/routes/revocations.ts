/** GET /oauth/revocations?since=CURSOR — the signed revocation feed (src/core/revocation-feed.ts). */
import { Router } from 'express';
import { InvalidRequestError } from '../../core/errors.js';
import { FEED_CURSOR_PATTERN } from '../../store/feed-cursor.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';

export function revocationsRoute(ctx: AppContext): Router {
  const router = Router();
  router.get('/oauth/revocations', async (req, res) => {
    const since = req.query.since;
    if (since !== undefined && (typeof since !== 'string' || !FEED_CURSOR_PATTERN.test(since))) {
      throw new InvalidRequestError('since must be the cursor of an earlier answer, given once');
    }
    const page = await ctx.revocationFeed.page(since);
    // The answer carries a token, so no-store (contract); verifiers keep the ETag themselves and a 304 costs them nothing and us no signature.
    res.set({ 'Cache-Control': 'no-store', ETag: page.etag, 'Content-Type': 'application/jwt' });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    // Bytes, so Express adds no charset: application/jwt has none (RFC 7519 §10.3.1).
    res.status(200).send(Buffer.from(await page.sign(), 'ascii'));
  });
  router.all('/oauth/revocations', onlyMethods('GET', 'HEAD'));
  return router;
}
