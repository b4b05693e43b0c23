/**
 * GET /healthz (the process answers) and GET /readyz (store reachable and
 * not evicting keys unless allowed, a signing key loaded, and not shutting
 * down; it also names the store's mode: memory, redis, redis-sentinel or
 * redis-cluster).
 */
import { Router, type Express } from 'express';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { evicts } from '../../core/eviction-policy.js';
import { storeMode } from '../../store/redis/topology.js';

const SHUTTING_DOWN = 'tesseraShuttingDown';

/**
 * From now on /readyz answers 503, so that a load balancer stops sending new
 * requests while the ones in flight finish (the process is still live).
 */
export function markShuttingDown(app: Express): void {
  app.locals[SHUTTING_DOWN] = true;
}

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  // Which store this instance uses, so an operator (or a probe) can tell a misconfigured instance from the rest.
  const mode = ctx.store.kind === 'memory' ? 'memory' : storeMode(ctx.config.redis ?? { mode: 'single', url: '' });
  router.get('/healthz', (_req, res) => {
    res.status(200).set(NO_STORE).json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const checks = { store: 'ok', keys: 'ok' };
    try {
      await ctx.store.ping();
      // Its policy may have changed since the start-up check (src/core/eviction-policy.ts).
      if (!ctx.config.redisAllowEviction && evicts(await ctx.store.evictionPolicy())) checks.store = 'evicting';
    } catch {
      checks.store = 'unavailable';
    }
    try {
      ctx.keys.signingKey();
    } catch {
      checks.keys = 'unavailable';
    }
    const ready = checks.store === 'ok' && checks.keys === 'ok' && req.app.locals[SHUTTING_DOWN] !== true;
    res.status(ready ? 200 : 503).set(NO_STORE).json({ status: ready ? 'ready' : 'unavailable', store: mode, checks });
  });
  router.all('/healthz', onlyMethods('GET', 'HEAD'));
  router.all('/readyz', onlyMethods('GET', 'HEAD'));
  return router;
}
