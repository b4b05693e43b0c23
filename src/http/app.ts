/**
 * The Express application: helmet's security headers on every answer, thin
 * routes over the core, one error handler. In front of its router
 * (in-front.ts), the hottest requests are answered without it, by the same
 * route logic and with the same answers, log lines and metrics: the public
 * documents, JWKS and metadata (public-documents.ts), and plain form POSTs
 * to the token endpoint and introspection (form-endpoints-first.ts). The
 * routes stay mounted in Express and answer every other request to them.
 */
import express, { type Express } from 'express';
import { NotFoundError } from '../core/errors.js';
import type { AppContext } from './context.js';
import { errorHandler } from './error-response.js';
import { adminRouter } from './admin/router.js';
import { addTokenRoute, tokenEndpoint } from './routes/token.js';
import { revokeRoute } from './routes/revoke.js';
import { addIntrospectRoute, introspectEndpoint } from './routes/introspect.js';
import { jwksDocument, jwksRoute } from './routes/jwks.js';
import { metadataDocument, metadataRoute } from './routes/metadata.js';
import { answerPublicDocumentsFirst } from './public-documents.js';
import { answerFormEndpointsFirst } from './form-endpoints-first.js';
import { healthRoutes } from './routes/health.js';
import { authorizeRoutes } from './authorize/routes.js';
import { leakedRoute } from './routes/leaked.js';
import { githubLeaksRoute } from './routes/github-leaks.js';
import { revocationsRoute } from './routes/revocations.js';
import { meRouter } from './me/router.js';
import { requestFrame } from './request-context.js';
import { metricsRoute } from './routes/metrics.js';
import { trackRoutes } from './route-pattern.js';
import { homeRoute } from './routes/home.js';
import { consoleRoutes } from './console/console-routes.js';

/** The app every listener serves: the routes below, with the public documents, token and introspection requests answered before Express routes anything. */
export function createApp(ctx: AppContext): Express {
  const app = createRoutedApp(ctx);
  answerPublicDocumentsFirst(app, [jwksDocument(ctx), metadataDocument(ctx)], { logger: ctx.logger, metrics: ctx.metrics });
  // Wrapped last, so looked at first: the busiest requests.
  answerFormEndpointsFirst(app, [tokenEndpoint(ctx), introspectEndpoint(ctx)], { logger: ctx.logger, metrics: ctx.metrics, outage: ctx.outage });
  return app;
}

/** The routes alone, every request through Express's router (the tests compare the two). */
export function createRoutedApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express's own weak ETags are off; the JWKS route sets a strong one itself.
  app.set('etag', false);
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');
  trackRoutes(app);
  // Security headers, request id and context, the request log and metrics: one middleware, one end-of-answer listener.
  app.use(requestFrame({ logger: ctx.logger, metrics: ctx.metrics }));

  // The hot endpoints first: Express tries every router in order, so a token
  // request no longer walks the health, metadata and login routers first.
  addTokenRoute(app, ctx);
  addIntrospectRoute(app, ctx);
  app.use(jwksRoute(ctx));
  app.use(revokeRoute(ctx));
  app.use(healthRoutes(ctx));
  // With TESSERA_METRICS_PORT, /metrics is served by src/main.ts's second listener only: here it is a 404.
  if (ctx.config.metricsPort === null) app.use(metricsRoute(ctx));
  app.use(metadataRoute(ctx));
  app.use(authorizeRoutes(ctx));
  app.use(leakedRoute(ctx));
  app.use(githubLeaksRoute(ctx));
  app.use(revocationsRoute(ctx));
  app.use('/admin/v1', adminRouter(ctx));
  app.use('/v1/me', meRouter(ctx));
  app.use(homeRoute(ctx));
  if (ctx.config.console) app.use(consoleRoutes(ctx));

  app.use(() => {
    throw new NotFoundError('no such endpoint');
  });
  app.use(errorHandler(ctx.logger, ctx.outage));
  return app;
}
