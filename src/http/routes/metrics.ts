/**
 * GET /metrics — the Prometheus text exposition format. On the main port by
 * default; with TESSERA_METRICS_PORT, only on a listener of its own
 * (createMetricsApp, served by src/main.ts), so it can stay off the public
 * network. With TESSERA_METRICS_TOKEN, a scrape must send
 * `Authorization: Bearer <token>` (RFC 6750 §2.1), checked in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type Express, type RequestHandler } from 'express';
import { BearerRequestError, InvalidTokenError, MissingTokenError, NotFoundError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { errorHandler } from '../error-response.js';
import { onlyMethods } from '../method-guard.js';
import { NO_STORE } from '../no-store.js';
import { securityHeaders } from '../security-headers.js';
import { withRequestContext } from '../request-context.js';
import { trackRoutes } from '../route-pattern.js';

type MetricsContext = Pick<AppContext, 'config' | 'logger' | 'metrics'>;

export const METRICS_REALM = 'metrics';

// RFC 6750 §2.1 with the token's own alphabet: TESSERA_METRICS_TOKEN is printable ASCII without spaces.
const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function requireMetricsToken(token: string | null): RequestHandler {
  if (token === null) return (_req, _res, next) => next();
  // Digests of equal length, so timingSafeEqual neither throws nor tells the token's length.
  const expected = sha256(token);
  return (req, res, next) => {
    res.locals.bearerRealm = METRICS_REALM;
    const header = req.headers.authorization;
    if (header === undefined) throw new MissingTokenError('a bearer token is required for the metrics');
    const m = BEARER.exec(header);
    if (!m) throw new BearerRequestError('the Authorization header is not a Bearer token');
    if (!timingSafeEqual(sha256(m[1]!), expected)) throw new InvalidTokenError('the metrics token is not valid');
    next();
  };
}

export function metricsRoute(ctx: MetricsContext): Router {
  const router = Router();
  router.get('/metrics', requireMetricsToken(ctx.config.metricsToken), async (_req, res) => {
    const { contentType, body } = await ctx.metrics.exposition();
    res.status(200).set(NO_STORE).set('Content-Type', contentType).send(body);
  });
  router.all('/metrics', onlyMethods('GET', 'HEAD'));
  return router;
}

/** The listener of TESSERA_METRICS_PORT: /metrics and nothing else. */
export function createMetricsApp(ctx: MetricsContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  trackRoutes(app);
  app.use(securityHeaders);
  // openapi.yaml: every answer carries X-Request-Id, on this listener too.
  app.use(withRequestContext);
  app.use(metricsRoute(ctx));
  app.use(() => {
    throw new NotFoundError('no such endpoint');
  });
  app.use(errorHandler(ctx.logger));
  return app;
}
