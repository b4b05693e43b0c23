/** /admin/v1/overview — API-token counts and hour-by-hour activity, for a dashboard. */
import { Router } from 'express';
import { z } from 'zod';
import { InvalidRequestError } from '../../core/errors.js';
import { MAX_HOURS } from '../../core/activity/overview.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';

const OverviewQuery = z.object({
  hours: z.string().regex(/^\d{1,3}$/).transform(Number).refine((n) => n >= 1 && n <= MAX_HOURS).optional(),
});

export function overviewAdmin(ctx: AppContext): Router {
  const router = Router();
  router.get('/overview', async (req, res) => {
    const parsed = OverviewQuery.safeParse(req.query);
    if (!parsed.success) throw new InvalidRequestError(`hours must be a whole number from 1 to ${MAX_HOURS}, given once`);
    res.status(200).json(await ctx.overview.get(parsed.data.hours ?? 24));
  });
  router.all('/overview', onlyMethods('GET'));
  return router;
}
