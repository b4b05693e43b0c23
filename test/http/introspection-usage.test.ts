/**
 * Introspection counts each use of a token (its per-route and per-scope
 * usage) without a write on its path: the uses wait in memory and reach the
 * store at the next flush (TESSERA_USAGE_FLUSH_INTERVAL), merged into one
 * write per token, with the memory store and with Redis. (A flush that
 * fails, against a full Redis: store-full.test.ts.)
 */
import { Redis } from 'ioredis';
import request from 'supertest';
import { decodeJwt, startHarness, type Harness } from '../support/harness.js';
import { testRedisUrl } from '../support/redis.js';
import { deleteKeysUnder } from '../store/redis-keys.js';
import type { UsageRepository } from '../../src/store/usage-records.js';
import type { BatchedUsage } from '../../src/core/usage/batched-usage.js';

// A minute: within a test nothing is written unless the test flushes.
const SLOW = { TESSERA_USAGE_FLUSH_INTERVAL: '60000' };

describe.each([['memory', false], ['Redis', true]] as const)('introspection usage with the %s store', (_name, redis) => {
  let h: Harness;
  let rs: { client_id: string; client_secret: string };
  let svc: { client_id: string; client_secret: string };
  let admin: Redis | null = null;
  let adds = 0;

  beforeAll(async () => {
    h = await startHarness({ redis, env: SLOW });
    if (redis) admin = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    rs = await h.createClient({ client_id: 'resource-server', scopes: [] });
    svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read', 'orders:write'] });
  });
  afterAll(async () => {
    await h.stop();
    if (admin) {
      await deleteKeysUnder(admin, h.config.redisPrefix);
      await admin.quit();
    }
  });

  const introspect = (token: string, extra: Record<string, string> = {}) =>
    request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({ token, ...extra });
  /** What the store itself holds now, not through the server's batching repository. */
  const stored = async (key: string): Promise<Record<string, string> | null> => {
    if (admin) {
      const all = await admin.hgetall(`${h.config.redisPrefix}usage:${key}`);
      return Object.keys(all).length ? all : null;
    }
    const u = (h.ctx.store.usage as unknown as { inner: UsageRepository }).inner;
    const got = await u.get(key);
    return got ? Object.fromEntries(Object.entries(got.routes).map(([r, n]) => [`r:${r}`, String(n)])) : null;
  };

  test('the answer does not wait for the count; the counts arrive at the flush, merged into one write per token', async () => {
    const token = await h.clientToken(svc.client_id, svc.client_secret, { scope: 'orders:read orders:write' });
    const jti = decodeJwt(token).payload.jti as string;
    const usage = h.ctx.store.usage as BatchedUsage;
    const inner = (usage as unknown as { inner: { add: (...a: unknown[]) => Promise<void> } }).inner;
    const add = inner.add.bind(inner);
    // What waits already (the admin API's own uses, from creating the clients) is written first.
    await usage.flush();
    adds = 0;
    inner.add = (...a: unknown[]) => { adds++; return add(...a); };
    try {
      for (let i = 0; i < 20; i++) {
        const res = await introspect(token, { route: 'GET /orders', scope: 'orders:read' });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ active: true, jti });
      }
      await introspect(token, { route: 'DELETE /orders/7' }).expect(200);
      expect(await stored(`access_token:${jti}`)).toBeNull();
      expect(await stored(`client:${svc.client_id}`)).toBeNull();
      await usage.flush();
      // The token's record and its client's: two writes for twenty-one introspections.
      expect(adds).toBe(2);
      expect(await stored(`access_token:${jti}`)).toMatchObject({ 'r:GET /orders': '20', 'r:DELETE /orders/7': '1' });
      expect(await stored(`client:${svc.client_id}`)).toMatchObject({ 'r:GET /orders': '20' });
      expect(await h.ctx.store.usage.get(`client:${svc.client_id}`)).toEqual({
        last_used_at: expect.any(Number), last_used_ip: expect.stringMatching(/127\.0\.0\.1$/), routes: { 'GET /orders': 20 }, scopes: { 'orders:read': expect.any(Number) },
      });
    } finally {
      inner.add = add;
    }
  });

  test('the admin API reads what this instance counted, without waiting for the interval', async () => {
    const admin = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('reader', ['orders:read']);
    const user = await h.ctx.users.create({ username: `u-${Math.random().toString(36).slice(2, 8)}`, password: 'a long enough password', roles: ['reader'] });
    const api = await h.ctx.apiTokens.create({ name: 'ci', scopes: ['orders:read'], expires_in: 3600 }, { actor: { type: 'client', id: 'test' }, owner: user.id });
    await introspect(api.token, { route: 'GET /orders' }).expect(200);
    await introspect(api.token, { route: 'GET /orders' }).expect(200);
    const res = await request(h.app).get(`/admin/v1/api-tokens/${api.record.id}/usage`).set('Authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body.routes).toEqual({ 'GET /orders': 2 });
  });
});
