/** /admin/v1/keys — list signing keys and their states; rotate. */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { adminActor } from './actor.js';

export function keysAdmin(ctx: AppContext): Router {
  const router = Router();
  router.get('/keys', (_req, res) => {
    const schedule = ctx.keys.schedule;
    const next = ctx.keys.plan()?.nextRotationAt ?? null;
    res.status(200).json({
      items: ctx.keys.list(),
      rotation: {
        interval_seconds: schedule ? Math.round(schedule.intervalMs / 1000) : null,
        next_rotation_at: next === null ? null : new Date(next).toISOString(),
      },
    });
  });
  router.post('/keys/rotate', async (_req, res) => {
    const result = await ctx.keys.rotate();
    ctx.audit.record({ type: 'key.rotated', actor: adminActor(res), subject: result.active, detail: { ...result, trigger: 'manual' } });
    ctx.logger.info({ active: result.active, next: result.next, retired: result.retired }, 'signing keys rotated');
    res.status(200).json(result);
  });
  router.all('/keys', onlyMethods('GET'));
  router.all('/keys/rotate', onlyMethods('POST'));
  return router;
}
