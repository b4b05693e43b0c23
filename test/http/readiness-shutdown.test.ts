/** Once shutdown has begun, /readyz says "not ready" so load balancers drain the instance; /healthz stays 200. */
import request from 'supertest';
import { markShuttingDown } from '../../src/http/routes/health.js';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented } from '../support/openapi.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

test('/readyz is 200 before and 503 after markShuttingDown, with the checks still reported; /healthz stays 200', async () => {
  expect((await request(h.app).get('/readyz')).status).toBe(200);
  markShuttingDown(h.app);
  const res = await expectDocumented(request(h.app).get('/readyz'), 503);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['retry-after']).toBeUndefined();
  expect(res.body).toEqual({ status: 'unavailable', store: 'memory', checks: { store: 'ok', keys: 'ok' } });
  const head = await request(h.app).head('/readyz');
  expect(head.status).toBe(503);
  const live = await request(h.app).get('/healthz');
  expect(live.status).toBe(200);
  expect(live.body).toEqual({ status: 'ok' });
});
