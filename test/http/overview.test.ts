/**
 * GET /admin/v1/overview: API-token counts now, and counted audit events by
 * the hour (tokens issued, refusals, revocations, reuse...), on memory and
 * on Redis, where several instances add up.
 */
import request from 'supertest';
import { HOUR_MS, hourOf } from '../../src/store/counter-records.js';
import { startHarness, type Harness } from '../support/harness.js';
import { testRedisPrefix } from '../support/redis.js';
import { sampleApiToken } from '../store/api-tokens-contract.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const DAY = 86_400_000;

describe.each([['memory', false], ['Redis', true]])('the overview on the %s store', (_name, redis) => {
  let h: Harness;
  let admin: string;
  let svc: { client_id: string; client_secret: string };
  const prefix = testRedisPrefix('overview');

  beforeAll(async () => {
    h = await startHarness({ redis, env: redis ? { TESSERA_REDIS_PREFIX: prefix } : {} });
    admin = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('member', ['orders:read']);
    await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['member'] });
    svc = await h.createClient({ grant_types: ['client_credentials', EXCHANGE], scopes: ['orders:read'] });
  });
  afterAll(async () => { await h.stop(); });

  const overview = (query = '') => request(h.app).get(`/admin/v1/overview${query}`).set('Authorization', admin);

  test('counts active API tokens, those expiring within 7 days, and those unused for 30 days', async () => {
    const before = (await overview()).body.api_tokens;
    const user = (await h.ctx.users.resolve('alice')).id;
    const now = Date.now();
    const create = (body: Record<string, unknown>) => request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: 'alice', scopes: ['orders:read'], ...body });
    await create({ name: 'soon', expires_in: 3 * 86_400 }).expect(201);
    await create({ name: 'later', expires_in: 60 * 86_400 }).expect(201);
    const revoked = await create({ name: 'gone', expires_in: 3 * 86_400 }).expect(201);
    await request(h.app).delete(`/admin/v1/api-tokens/${revoked.body.id}`).set('Authorization', admin).expect(200);
    // Made 40 days ago and never used since: what the "unused" count is for.
    await h.ctx.store.apiTokens.create(sampleApiToken(`tok_old${redis ? 'r' : 'm'}000000000000`, {
      user_id: user, secret_hash: `old-${redis}`, created_at: now - 40 * DAY, expires_at: now + 20 * DAY, purge_at: now + 50 * DAY,
    }), now);

    const res = await overview();
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.api_tokens).toEqual({
      active: before.active + 3,
      expiring_within_7_days: before.expiring_within_7_days + 1,
      unused_for_30_days: before.unused_for_30_days + 1,
    });
  });

  test('counts what happened this hour, in total and hour by hour, as soon as it happened', async () => {
    const before = (await overview()).body;
    for (let i = 0; i < 3; i++) await h.clientToken(svc.client_id, svc.client_secret);
    const created = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: 'alice', name: 'ci', scopes: ['orders:read'] }).expect(201);
    await request(h.app).delete(`/admin/v1/api-tokens/${created.body.id}`).set('Authorization', admin).send({ reason: 'leaked' }).expect(200);
    // A revoked API token presented at the token endpoint: a refused use.
    await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
      .send({ grant_type: EXCHANGE, subject_token: created.body.token, subject_token_type: API_TOKEN_TYPE }).expect(400);

    const res = await overview();
    const delta = (type: string) => res.body.events[type] - before.events[type];
    expect(delta('token.issued')).toBe(3);
    expect(delta('api_token.created')).toBe(1);
    expect(delta('api_token.revoked')).toBe(1);
    expect(delta('api_token.refused')).toBe(1);
    expect(delta('refresh_token.reuse_detected')).toBe(0);
    expect(res.body.hours).toBe(24);
    expect(res.body.hourly).toHaveLength(24);
    const last = res.body.hourly[23];
    expect(Date.parse(last.hour)).toBe(hourOf(Date.now()));
    expect(Date.parse(res.body.hourly[0].hour)).toBe(hourOf(Date.now()) - 23 * HOUR_MS);
    // The events all happened in this hour (unless the hour turned meanwhile, when the total still holds).
    const inHours = res.body.hourly.reduce((n: number, x: { events: Record<string, number> }) => n + (x.events['token.issued'] ?? 0), 0);
    expect(inHours).toBe(res.body.events['token.issued']);
  });

  test('hours chooses the window: 1 to 168', async () => {
    const res = await overview('?hours=3');
    expect(res.body.hourly.map((x: { hour: string }) => Date.parse(x.hour)))
      .toEqual([2, 1, 0].map((k) => hourOf(Date.now()) - k * HOUR_MS));
    expect((await overview('?hours=168')).body.hourly).toHaveLength(168);
    for (const bad of ['0', '169', 'x', '1.5']) {
      const r = await overview(`?hours=${bad}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: 'invalid_request', error_description: 'hours must be a whole number from 1 to 168, given once' });
    }
    expect((await overview('?hours=1&hours=2')).status).toBe(400);
  });

  if (redis) {
    test('two instances on one Redis add up: each one\'s counts reach the other within a flush', async () => {
      const other = await startHarness({ redis: true, env: { TESSERA_REDIS_PREFIX: prefix } });
      try {
        const before = (await overview()).body.events['token.issued'];
        await other.clientToken(svc.client_id, svc.client_secret);
        await other.clientToken(svc.client_id, svc.client_secret);
        await h.clientToken(svc.client_id, svc.client_secret);
        // This instance flushes when it answers; the other on its interval, or here by hand.
        await other.ctx.overview.get(1);
        const after = (await overview()).body.events['token.issued'];
        expect(after - before).toBe(3);
      } finally {
        await other.stop();
      }
    });
  }
});
