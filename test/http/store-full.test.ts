/**
 * A full Redis (maxmemory reached, noeviction: every write refused with OOM,
 * reads still answered): reading tokens keeps working, because usage
 * records on read paths are best-effort. Against a redis-server of the
 * test's own, whose memory limit the test sets (never the shared Redis's).
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import type { BatchedUsage } from '../../src/core/usage/batched-usage.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
let redis: OwnRedis;
let h: Harness;

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ env: { REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: 'tessera-full:' } });
});
afterAll(async () => {
  await h?.stop().catch(() => undefined);
  await redis?.destroy();
});

/** Writes 4 MiB of junk, then sets maxmemory 1 MiB below what is used: every write is refused with OOM, reads still answer. */
async function fill(): Promise<void> {
  const admin = redis.client();
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  const junk = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 64; i++) await admin.set(`junk:${i}`, junk);
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  await admin.config('SET', 'maxmemory', String(used - 1024 * 1024));
  await expect(admin.set('probe', 'x')).rejects.toThrow(/^OOM command not allowed/);
}

test('with Redis full, introspection of access and API tokens still answers active; what needs a write is 503, never 500', async () => {
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'reader', password: 'reader-password', roles: ['reader'] });
  const rs = await h.createClient({ client_id: 'resource-server', scopes: [] });
  const svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read'], grant_types: ['client_credentials', EXCHANGE] });
  const access = await h.clientToken(svc.client_id, svc.client_secret);
  const api = await h.ctx.apiTokens.create({ user: 'reader', name: 'ci', scopes: ['orders:read'] }, { actor: { type: 'client', id: 'test' } });
  const introspect = (token: string) => request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({ token });
  expect((await introspect(access)).body.active).toBe(true);

  await fill();
  const a = await introspect(access);
  expect(a.status).toBe(200);
  expect(a.body).toMatchObject({ active: true, client_id: 'svc' });
  const b = await introspect(api.token);
  expect(b.status).toBe(200);
  expect(b.body).toMatchObject({ active: true, token_type: 'api_token', jti: api.record.id });
  // Issuing needs writes (rate-limit counters): refused as unavailable, not as an error.
  const issue = await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form').send({ grant_type: 'client_credentials' });
  expect(issue.status).toBe(503);
  expect(issue.body.error).toBe('temporarily_unavailable');

  // Room again: usage is recorded again.
  await redis.client().config('SET', 'maxmemory', '0');
  expect((await introspect(api.token)).body.active).toBe(true);
  const usage = await h.ctx.store.usage.get(`api_token:${api.record.id}`);
  expect(usage?.routes['POST /oauth/introspect']).toBeGreaterThanOrEqual(1);
});

test('with Redis full, the usage flush fails and no introspection does: the uses are counted as dropped, and counted again once there is room', async () => {
  const rs = await h.createClient({ client_id: 'rs-usage', scopes: [] });
  const svc = await h.createClient({ client_id: 'svc-usage', scopes: ['orders:read'] });
  const access = await h.clientToken(svc.client_id, svc.client_secret);
  const introspect = () => request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form')
    .send({ token: access, route: 'GET /orders', scope: 'orders:read' });
  const dropped = async () => Number(/^tessera_usage_dropped_total\{reason="failed"\} (\d+)$/m.exec((await h.ctx.metrics.exposition()).body)![1]);
  const usage = h.ctx.store.usage as BatchedUsage;
  await usage.flush();
  const before = await dropped();

  await fill();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await introspect();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, client_id: 'svc-usage' });
    }
    await usage.flush();
    // Three uses of the token, three of its client (the introspection named the scope it needed).
    expect(await dropped()).toBe(before + 6);
    expect(h.ctx.outage.active).toBe(true);
  } finally {
    await redis.client().config('SET', 'maxmemory', '0');
  }
  expect((await introspect()).status).toBe(200);
  const jti = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).jti as string;
  expect((await h.ctx.store.usage.get(`access_token:${jti}`))?.routes).toEqual({ 'GET /orders': 1 });
  expect(await dropped()).toBe(before + 6);
});
