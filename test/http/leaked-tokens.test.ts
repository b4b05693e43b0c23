/** POST /oauth/leaked: anyone may report secrets; real Tessera tokens among them die, and the answer never tells. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { seedUserAndClient, startFamily } from '../support/users.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
});
afterAll(async () => { await h.stop(); });

const newToken = () => h.ctx.apiTokens.create({ user: 'alice', name: 'x', scopes: ['orders:read'] }, { actor: { type: 'client', id: 'test' } });
const report = (body: unknown) => request(h.app).post('/oauth/leaked').send(body as object);

describe('POST /oauth/leaked', () => {
  test('revokes real API tokens and refresh-token families, ignores the rest, and answers the same way', async () => {
    const api = await newToken();
    const { client, user } = await seedUserAndClient(h);
    const family = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const wrongChecksum = api.token.slice(0, -1) + (api.token.endsWith('0') ? '1' : '0');

    const res = await report({ tokens: [api.token, family.token, wrongChecksum, generateOpaqueToken('api'), 'hello', api.token], source: 'https://paste.example/abc' });
    expect(res.status).toBe(202);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ received: 6 });
    const nothing = await report({ tokens: ['hello'] });
    expect(nothing.status).toBe(202);
    expect(nothing.body).toEqual({ received: 1 });

    expect(await h.ctx.store.apiTokens.get(api.record.id)).toMatchObject({
      revoked_at: expect.any(Number), revoked_by: { type: 'anonymous', id: null }, revocation_reason: 'reported as leaked',
    });
    expect(await h.ctx.refresh.lookup(family.token)).toBeNull();
    const reports = h.audit.events.filter((e) => e.type === 'token.leak_reported');
    expect(reports.map((e) => e.token_id)).toEqual([api.record.id, family.family.family_id]);
    expect(reports[0]!.detail).toMatchObject({ kind: 'api_token', source: 'https://paste.example/abc' });
    expect(JSON.stringify(h.audit.events)).not.toContain(api.token);
  });

  test('an old secret past its rotation grace cannot revoke its successor', async () => {
    const api = await newToken();
    const rotated = await h.ctx.apiTokens.rotate(api.record.id, 0, { actor: { type: 'client', id: 'test' } });
    await report({ tokens: [api.token] }).expect(202);
    expect((await h.ctx.store.apiTokens.get(api.record.id))!.revoked_at).toBeNull();
    await report({ tokens: [rotated.token] }).expect(202);
    expect((await h.ctx.store.apiTokens.get(api.record.id))!.revoked_at).toEqual(expect.any(Number));
  });

  test('a bad body is 400: not JSON, no tokens, too many, unknown fields', async () => {
    const bad = async (body: unknown) => {
      const res = await report(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    };
    await bad({});
    await bad({ tokens: [] });
    await bad({ tokens: Array.from({ length: 1001 }, (_, i) => `s${i}`) });
    await bad({ tokens: ['x'], extra: 1 });
    await bad({ tokens: 'tsp_x' });
    expect((await request(h.app).post('/oauth/leaked').type('form').send('tokens=x')).status).toBe(400);
    expect((await request(h.app).post('/oauth/leaked').set('Content-Type', 'application/json').send('{"tokens":')).status).toBe(400);
  });

  test('other methods are 405; the metadata advertises the endpoint', async () => {
    const res = await request(h.app).get('/oauth/leaked');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    const meta = await request(h.app).get('/.well-known/oauth-authorization-server');
    expect(meta.body.leaked_token_endpoint).toBe('http://tessera.test/oauth/leaked');
  });
});

describe('rate limit per IP', () => {
  test('the 31st report within a minute from one address is 429 with Retry-After; others are not affected', async () => {
    const limited = await startHarness({ env: { TESSERA_TRUST_PROXY: 'loopback' } });
    try {
      const from = (ip: string) => request(limited.app).post('/oauth/leaked').set('X-Forwarded-For', ip).send({ tokens: ['x'] });
      for (let i = 0; i < 30; i++) expect((await from('198.51.100.1')).status).toBe(202);
      const res = await from('198.51.100.1');
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.body).toEqual({ error: 'too_many_requests', error_description: 'at most 30 reports from one address until a minute passes without one' });
      expect((await from('198.51.100.2')).status).toBe(202);
    } finally {
      await limited.stop();
    }
  });
});
