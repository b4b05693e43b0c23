/** GET /admin/v1/overview driven through every status openapi.yaml documents for it, each answer checked against the spec. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';

let h: Harness;
let admin: string;
let reader: string;

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'ov-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const get = (auth: string | null = admin, query = '') => {
  const req = request(h.app).get(`/admin/v1/overview${query}`);
  return auth === null ? req : req.set('Authorization', auth);
};

test('200, 400, 401, 403, 405, 413, 415', async () => {
  await hit(get(), 200);
  await hit(get(admin, '?hours=72'), 200);
  await hit(get(admin, '?hours=0'), 400);
  await hit(get(null), 401);
  await hit(get('Basic YTpi'), 400);
  await hit(get(reader), 403);
  expect((await hit(request(h.app).post('/admin/v1/overview').set('Authorization', admin), 405)).headers.allow).toBe('GET');
  await hit(get().set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
  await hit(get().set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('503 temporarily_unavailable', async () => {
    await hit(get(), 503);
  });
});

test('every documented status of /admin/v1/overview was exercised', () => {
  const missing = unexercised((op) => op.path === '/admin/v1/overview');
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
