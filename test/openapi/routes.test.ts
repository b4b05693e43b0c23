/**
 * openapi.yaml and the Express app agree, both ways: every (method, path) the
 * app mounts is documented, and every documented operation is mounted. The
 * automatic HEAD of a GET is not an operation of its own (the spec says every
 * GET answers HEAD), and `.all()` handlers are the 405 method guards: each
 * must sit on a path that serves real methods.
 */
import express, { type RequestHandler } from 'express';
import { createApp } from '../../src/http/app.js';
import { startHarness, type Harness } from '../support/harness.js';
import { documentedOperations } from '../support/openapi.js';
import { compareRoutes, mountedRoutes, type Operation } from './mounted-routes.js';

const answer: RequestHandler = (_req, res) => { res.status(204).end(); };
const ops = (...list: string[]): Operation[] => list.map((s) => ({ method: s.split(' ')[0]!, path: s.split(' ')[1]! }));

/** A small app shaped like Tessera's: plain middleware, routers mounted at / and at a prefix, a nested router, guards. */
function smallApp() {
  const app = express();
  app.use(express.json());
  const health = express.Router();
  health.get('/healthz', answer);
  health.all('/healthz', answer);
  const things = express.Router();
  things.get('/things', answer);
  things.post('/things', answer);
  things.get('/things/:id', answer);
  things.delete('/things/:id', answer);
  things.all('/things', answer);
  things.all('/things/:id', answer);
  const api = express.Router();
  api.use((_req, _res, next) => next());
  api.use(things);
  app.use(health);
  app.use('/api/v1', api);
  app.use(() => { throw new Error('no such endpoint'); });
  return app;
}
const smallSpec = ops('GET /healthz', 'GET /api/v1/things', 'POST /api/v1/things', 'GET /api/v1/things/{thing_id}', 'DELETE /api/v1/things/{thing_id}');
const none = { undocumented: [], unmounted: [], strayGuards: [] };

describe('mountedRoutes and compareRoutes', () => {
  test('list routes through routers mounted at / and at a prefix, without the automatic HEAD, and guards apart', () => {
    const mounted = mountedRoutes(smallApp());
    expect(mounted.operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'DELETE /api/v1/things/:id', 'GET /api/v1/things', 'GET /api/v1/things/:id', 'GET /healthz', 'POST /api/v1/things',
    ]);
    expect(mounted.guards.sort()).toEqual(['/api/v1/things', '/api/v1/things/:id', '/healthz']);
    expect(compareRoutes(mounted, smallSpec)).toEqual(none);
  });

  test('an undocumented route is caught, at the top level and deep in a mounted router', () => {
    const app = smallApp();
    app.get('/extra', answer);
    const late = express.Router();
    late.patch('/things/:id', answer);
    app.use('/api/v1', late);
    expect(compareRoutes(mountedRoutes(app), smallSpec).undocumented).toEqual(['GET /extra', 'PATCH /api/v1/things/:id']);
  });

  test('a documented operation that is not mounted is caught, and so is a method the path does not serve', () => {
    const spec = [...smallSpec, ...ops('GET /api/v1/gone', 'PUT /api/v1/things/{thing_id}')];
    expect(compareRoutes(mountedRoutes(smallApp()), spec).unmounted).toEqual(['GET /api/v1/gone', 'PUT /api/v1/things/{thing_id}']);
  });

  test('an .all() handler on a path that serves nothing else is not a guard', () => {
    const app = smallApp();
    const catchAll = express.Router();
    catchAll.all('/catch-all', answer);
    app.use(catchAll);
    expect(compareRoutes(mountedRoutes(app), smallSpec)).toEqual({ ...none, strayGuards: ['/catch-all'] });
  });

  test("app.all() on the app itself registers every method, and each is caught", () => {
    const app = smallApp();
    app.all('/everything', answer);
    const { undocumented } = compareRoutes(mountedRoutes(app), smallSpec);
    expect(undocumented).toEqual(expect.arrayContaining(['GET /everything', 'POST /everything', 'DELETE /everything']));
    expect(undocumented.every((op) => op.endsWith(' /everything'))).toBe(true);
  });

  test('an explicit HEAD-only route is an operation', () => {
    const app = smallApp();
    app.head('/probe', answer);
    expect(compareRoutes(mountedRoutes(app), smallSpec).undocumented).toEqual(['HEAD /probe']);
  });

  test('what cannot be listed fails loudly instead of being skipped', () => {
    const withHandler = smallApp();
    withHandler.use('/static', answer);
    expect(() => mountedRoutes(withHandler)).toThrow(/mounted at \/static: its routes cannot be listed/);
    const withSubApp = smallApp();
    withSubApp.use('/sub', express());
    expect(() => mountedRoutes(withSubApp)).toThrow(/mounted at \/sub/);
    const withRegExp = smallApp();
    withRegExp.get(/^\/re/, answer);
    expect(() => mountedRoutes(withRegExp)).toThrow(/not a string/);
    const withWildcard = smallApp();
    withWildcard.get('/files/*rest', answer);
    expect(() => mountedRoutes(withWildcard)).toThrow(/does not understand/);
    const nested = express.Router();
    nested.use('/inner', answer);
    const deep = smallApp();
    deep.use('/outer', nested);
    expect(() => mountedRoutes(deep)).toThrow(/mounted at \/outer\/inner/);
  });
});

describe("Tessera's app and openapi.yaml", () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  test('every mounted route is documented and every documented operation is mounted', () => {
    const mounted = mountedRoutes(h.app);
    expect(compareRoutes(mounted, documentedOperations())).toEqual(none);
    // Not a vacuous pass: the routes of the mounted routers were all found, prefixes included.
    expect(mounted.operations.length).toBe(documentedOperations().length);
    expect(mounted.operations.length).toBeGreaterThanOrEqual(40);
    const listed = mounted.operations.map((o) => `${o.method} ${o.path}`);
    expect(listed).toEqual(expect.arrayContaining([
      'POST /oauth/token', 'GET /.well-known/jwks.json', 'POST /admin/v1/keys/rotate', 'DELETE /admin/v1/clients/:id',
      'GET /admin/v1/audit/export', 'GET /v1/me/api-tokens/:id/usage',
    ]));
    expect(mounted.guards.length).toBeGreaterThanOrEqual(30);
  });

  test('a route added to the app is caught as undocumented', () => {
    const app = createApp(h.ctx);
    const before = compareRoutes(mountedRoutes(app), documentedOperations());
    app.get('/undocumented', answer);
    const extra = express.Router();
    extra.post('/clients/:id/undocumented', answer);
    app.use('/admin/v1', extra);
    const after = compareRoutes(mountedRoutes(app), documentedOperations());
    expect(after).toEqual({
      ...before, undocumented: [...before.undocumented, 'GET /undocumented', 'POST /admin/v1/clients/:id/undocumented'].sort(),
    });
  });

  test('the separate metrics listener (TESSERA_METRICS_PORT) serves only documented routes', () => {
    const mounted = mountedRoutes(h.metricsApp);
    expect(mounted.operations.length).toBeGreaterThan(0);
    expect(compareRoutes(mounted, documentedOperations()).undocumented).toEqual([]);
  });
});
