/**
 * The hook of test/support/validate-responses.ts (loaded for every test file
 * by jest.config.js, not imported here) is live: a supertest answer that
 * openapi.yaml does not allow fails the request that got it, however the
 * test awaits it, with a message naming method, path, status and the problem.
 */
import express from 'express';
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache', 'X-Request-Id': 'req-1' };

/** An app that answers documented paths in ways the spec does not allow (and one way it does). */
function wrongApp() {
  const app = express();
  app.get('/healthz', (_req, res) => { res.status(418).set(noStore).json({ error: 'teapot', error_description: 'short and stout' }); });
  app.get('/readyz', (_req, res) => { res.status(200).set(noStore).json({ status: 'ready', store: 'memory', checks: { store: 'ok', keys: 'ok' }, extra: 1 }); });
  app.post('/oauth/revoke', (_req, res) => { res.status(200).set({ Pragma: 'no-cache', 'X-Request-Id': 'req-2' }).end(); });
  app.get('/fine', (_req, res) => { res.status(200).set(noStore).json({ status: 'ok' }); });
  app.get('/admin/v1/nothing-here', (_req, res) => { res.status(404).set(noStore).json({ error: 'not_found', error_description: 'no such endpoint' }); });
  app.get('/no-request-id', (_req, res) => { res.status(404).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({ error: 'not_found', error_description: 'x' }); });
  app.use((_req, res) => { res.status(404).set(noStore).json({ error: 'not_found', error_description: 'no such endpoint' }); });
  return app;
}

describe('every supertest answer is checked against openapi.yaml', () => {
  const app = wrongApp();

  test('an undocumented status on a documented path fails an awaited request', async () => {
    await expect(request(app).get('/healthz').then((r) => r)).rejects.toThrow(/GET \/healthz answered 418: status 418 is not documented for GET \/healthz/);
  });

  test('it fails an .expect() chain too, even when the status is the one expected', async () => {
    await expect(request(app).get('/healthz').expect(418)).rejects.toThrow(/GET \/healthz answered 418/);
  });

  test('it fails an .end() callback', async () => {
    const err = await new Promise<unknown>((resolve) => { request(app).get('/healthz').end((e) => resolve(e)); });
    expect(String(err)).toMatch(/GET \/healthz answered 418: status 418 is not documented/);
  });

  test('a body the schema refuses names the schema error', async () => {
    await expect(request(app).get('/readyz').expect(200)).rejects.toThrow(/GET \/readyz answered 200 does not match openapi\.yaml[\s\S]*must NOT have additional properties[\s\S]*extra/);
  });

  test('a missing required header is named', async () => {
    await expect(request(app).post('/oauth/revoke')).rejects.toThrow(/POST \/oauth\/revoke answered 200 does not match[\s\S]*header Cache-Control is required/);
  });

  test('an unknown path must be the 404 of info.description', async () => {
    await expect(request(app).get('/fine')).rejects.toThrow(/GET \/fine answered 200: the path is not documented in openapi\.yaml, and such a request may only be answered 404/);
    const res = await request(app).get('/nowhere').expect(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
  });

  test('a method a path does not serve may only be its documented 405', async () => {
    await expect(request(app).delete('/healthz')).rejects.toThrow(/DELETE \/healthz answered 404: DELETE is not documented for \/healthz \(only a documented 405 would fit\)/);
  });

  test('an unknown path under /admin/v1 may also get the bearer errors, and a 404 there must be not_found with no-store', async () => {
    await expect(request(app).get('/admin/v1/nothing-here').expect(404)).resolves.toMatchObject({ status: 404 });
  });

  test('every answer must carry X-Request-Id', async () => {
    await expect(request(app).get('/no-request-id')).rejects.toThrow(/GET \/no-request-id answered 404[\s\S]*X-Request-Id must be on every answer/);
  });

  test('a failing check fails the test that made the request', async () => {
    let failed: unknown;
    try {
      await request(app).get('/healthz');
    } catch (e) {
      failed = e;
    }
    expect(failed).toBeInstanceOf(Error);
  });
});

describe('a server that serves only part of the spec', () => {
  test('a documented path it does not mount is an unknown path there: only the 404 of info.description fits', async () => {
    const app = express();
    app.get('/metrics', (_req, res) => { res.status(200).set(noStore).type('text/plain').send('up 1\n'); });
    app.use((_req, res) => { res.status(200).set(noStore).json({ status: 'ok' }); });
    await expect(request(app).get('/healthz')).rejects.toThrow(/GET \/healthz answered 200: this server does not serve the path, and such a request may only be answered 404/);
  });

  describe('the TESSERA_METRICS_PORT listener', () => {
    let h: Harness;
    beforeAll(async () => { h = await startHarness({ env: { TESSERA_METRICS_PORT: '9464' } }); });
    afterAll(async () => { await h.stop(); });

    test('its answers carry X-Request-Id like every other (it had none)', async () => {
      const res = await request(h.metricsApp).get('/metrics').set('X-Request-Id', 'scrape-42').expect(200);
      expect(res.headers['x-request-id']).toBe('scrape-42');
      const other = await request(h.metricsApp).get('/oauth/token').expect(404);
      expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    });
  });
});
