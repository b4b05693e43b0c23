/**
 * API tokens under attack: a token created through another token (its
 * creator's session was exchanged from an API token) stays within that
 * token and ends with it; an allowlist that allows everything is refused.
 * On memory and on Redis.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const ADMIN = { actor: { type: 'client' as const, id: 'test-admin' } };
const DAY = 86_400;

describe.each([['memory', false], ['Redis', true]] as const)('on the %s store', (_name, redis) => {
  let h: Harness;
  let exchanger: { client_id: string; client_secret: string };
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({ redis });
    await h.ctx.users.putRole('member', ['orders:read', 'tessera:tokens']);
    await h.ctx.users.create({ username: 'mallory', password: 'mallory-password', roles: ['member'] });
    exchanger = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read', 'tessera:tokens'] });
    admin = `Bearer ${await h.adminToken()}`;
  });
  afterAll(async () => { await h.stop(); });

  const exchange = (token: string) => request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: token, subject_token_type: API_TOKEN_TYPE });
  const introspect = async (token: string) =>
    (await request(h.app).post('/oauth/introspect').auth(exchanger.client_id, exchanger.client_secret).type('form').send({ token })).body as { active: boolean };

  /** The parent: limited to 127.0.0.0/8 and one hour, holding tessera:tokens; and a session exchanged from it. */
  async function parentAndSession(extra: Record<string, unknown> = {}) {
    const parent = await h.ctx.apiTokens.create(
      { user: 'mallory', name: 'parent', scopes: ['orders:read', 'tessera:tokens'], expires_in: 3_600, allowed_ips: ['127.0.0.0/8'], ...extra }, ADMIN,
    );
    const swapped = await exchange(parent.token);
    expect(swapped.status).toBe(200);
    const session = `Bearer ${swapped.body.access_token}`;
    const mint = (body: Record<string, unknown>) => request(h.app).post('/v1/me/api-tokens').set('Authorization', session)
      .send({ name: 'child', scopes: ['orders:read'], ...body });
    return { parent, session, mint };
  }

  test('a child may not outlive its parent: 80 days is refused; with no expiry it ends with the parent', async () => {
    const { parent, mint } = await parentAndSession();
    const long = await mint({ expires_in: 80 * DAY });
    expect(long.status).toBe(400);
    expect(long.body).toEqual({
      error: 'invalid_request',
      error_description: `a token created through an API token may not outlive it: expire at ${new Date(parent.record.expires_at).toISOString()} at the latest`,
    });
    const unset = await mint({});
    expect(unset.status).toBe(201);
    expect(unset.body.expires_at).toBe(new Date(parent.record.expires_at).toISOString());
    expect((await mint({ expires_in: 600 })).status).toBe(201);
  });

  test('a child may not widen its parent\'s allowlist; with none it inherits it', async () => {
    const { mint } = await parentAndSession();
    const open = await mint({ expires_in: 600 });
    expect(open.body.allowed_ips).toEqual(['127.0.0.0/8']);
    for (const wider of [['0.0.0.0/1'], ['10.0.0.0/8'], ['127.0.0.0/7'], ['127.0.0.1', '192.0.2.1']]) {
      const res = await mint({ expires_in: 600, allowed_ips: wider });
      expect([wider, res.status]).toEqual([wider, 400]);
      expect(res.body.error_description).toMatch(/^allowed_ips may not be wider than those of the API token it is created through \(127\.0\.0\.0\/8\): /);
    }
    expect((await mint({ expires_in: 600, allowed_ips: null })).status).toBe(400);
    const narrower = await mint({ expires_in: 600, allowed_ips: ['127.0.0.1', '::ffff:127.0.0.0/120'] });
    expect(narrower.status).toBe(201);
    expect(narrower.body.allowed_ips).toEqual(['127.0.0.1', '::ffff:127.0.0.0/120']);
  });

  test('a child may not loosen its parent\'s rate limit (its own, or the default when it has none); with none it inherits it', async () => {
    const limited = await parentAndSession({ rate_limit: { requests: 10, per_seconds: 60 } });
    for (const looser of [{ requests: 11, per_seconds: 60 }, { requests: 10, per_seconds: 59 }, { requests: 5, per_seconds: 20 }]) {
      const res = await limited.mint({ expires_in: 600, rate_limit: looser });
      expect([looser, res.status, res.body.error_description]).toEqual([looser, 400, 'rate_limit may not be looser than that of the API token it is created through (10 per 60 s)']);
    }
    expect((await limited.mint({ expires_in: 600, rate_limit: null })).status).toBe(400);
    expect((await limited.mint({ expires_in: 600, rate_limit: { requests: 5, per_seconds: 60 } })).body.rate_limit).toEqual({ requests: 5, per_seconds: 60 });
    expect((await limited.mint({ expires_in: 600 })).body.rate_limit).toEqual({ requests: 10, per_seconds: 60 });
    // A parent with no limit of its own is held to the default (TESSERA_RATE_LIMIT_API_TOKEN, 600/60).
    const unlimited = await parentAndSession();
    expect((await unlimited.mint({ expires_in: 600, rate_limit: { requests: 1_000, per_seconds: 60 } })).status).toBe(400);
    expect((await unlimited.mint({ expires_in: 600, rate_limit: { requests: 600, per_seconds: 60 } })).status).toBe(201);
  });

  test('revoking the parent revokes its children, their children, and the access tokens exchanged from them', async () => {
    const { parent, mint } = await parentAndSession();
    const child = await mint({ expires_in: 600, scopes: ['orders:read', 'tessera:tokens'] });
    expect(child.status).toBe(201);
    const childSession = await exchange(child.body.token);
    const grandchild = await request(h.app).post('/v1/me/api-tokens').set('Authorization', `Bearer ${childSession.body.access_token}`)
      .send({ name: 'grandchild', scopes: ['orders:read'], expires_in: 300 });
    expect(grandchild.status).toBe(201);
    const grandJwt = (await exchange(grandchild.body.token)).body.access_token as string;
    expect((await introspect(grandJwt)).active).toBe(true);

    const revoked = await request(h.app).delete(`/admin/v1/api-tokens/${parent.record.id}`).set('Authorization', admin).send({ reason: 'leaked' });
    expect(revoked.status).toBe(200);
    for (const [id, of] of [[child.body.id, parent.record.id], [grandchild.body.id, child.body.id]] as const) {
      const got = await request(h.app).get(`/admin/v1/api-tokens/${id}`).set('Authorization', admin);
      expect(got.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'client', id: 'tessera-admin' }, revocation_reason: `the API token it was created through (${of}) was revoked` });
    }
    expect((await exchange(child.body.token)).status).toBe(400);
    expect((await exchange(grandchild.body.token)).status).toBe(400);
    expect(await introspect(grandJwt)).toEqual({ active: false });
    expect(await introspect(childSession.body.access_token)).toEqual({ active: false });
  });

  test('a leak report of the parent revokes its children too', async () => {
    const { parent, mint } = await parentAndSession();
    const child = await mint({ expires_in: 600 });
    expect((await request(h.app).post('/oauth/leaked').send({ tokens: [parent.token] })).status).toBe(202);
    expect((await request(h.app).get(`/admin/v1/api-tokens/${child.body.id}`).set('Authorization', admin)).body.status).toBe('revoked');
    expect((await exchange(child.body.token)).status).toBe(400);
  });

  test('a child whose parent is revoked is refused at use even if revoking it with its parent was cut short', async () => {
    const { parent, mint } = await parentAndSession();
    const child = await mint({ expires_in: 600 });
    // As if the process died after the parent's record was written and before the cascade.
    const record = (await h.ctx.store.apiTokens.get(parent.record.id))!;
    expect(await h.ctx.store.apiTokens.update({ ...record, revoked_at: Date.now(), version: record.version + 1 }, record.version)).toBe('updated');
    expect((await exchange(child.body.token)).status).toBe(400);
    expect(await introspect(child.body.token)).toEqual({ active: false });
    await h.flushAudit();
    expect(h.audit.events).toContainEqual(expect.objectContaining({ type: 'api_token.refused', token_id: child.body.id, detail: expect.objectContaining({ reason: 'parent_revoked' }) }));
  });

  test('exchanges of children count against their parent\'s allowance too, so children cannot multiply it', async () => {
    const { parent, mint } = await parentAndSession({ rate_limit: { requests: 3, per_seconds: 3_600 } });
    // The session above took one; two children, each inheriting 3/3600, take the other two between them.
    const a = await mint({ expires_in: 600 });
    const b = await mint({ expires_in: 600 });
    expect((await exchange(a.body.token)).status).toBe(200);
    expect((await exchange(b.body.token)).status).toBe(200);
    const over = await exchange(a.body.token);
    expect(over.status).toBe(429);
    expect(over.body.error_description).toMatch(/^the api_token rate limit is reached/);
    expect((await exchange(parent.token)).status).toBe(429);
  });

  test('an access token exchanged from an API token never outlives it', async () => {
    const short = await h.ctx.apiTokens.create({ user: 'mallory', name: 'short', scopes: ['orders:read'], expires_in: 90 }, ADMIN);
    const res = await exchange(short.token);
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBeLessThanOrEqual(90);
    const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString()) as { exp: number };
    expect(claims.exp * 1000).toBeLessThanOrEqual(short.record.expires_at);
  });

  test.each([['0.0.0.0/0'], ['::/0'], ['::ffff:0:0/96']])('an allowlist entry of %s, which allows every address, is refused with a pointer to omitting allowed_ips', async (everything) => {
    const byAdmin = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin)
      .send({ user: 'mallory', name: 'open', scopes: ['orders:read'], allowed_ips: ['10.0.0.0/8', everything] });
    expect(byAdmin.status).toBe(400);
    expect(byAdmin.body.error_description).toMatch(/allows every address, which is no limit at all: omit allowed_ips to let the token be used from anywhere/);
    const { session } = await parentAndSession({ allowed_ips: undefined });
    const bySelf = await request(h.app).post('/v1/me/api-tokens').set('Authorization', session)
      .send({ name: 'open', scopes: ['orders:read'], expires_in: 600, allowed_ips: [everything] });
    expect(bySelf.status).toBe(400);
    expect(bySelf.body.error_description).toMatch(/omit allowed_ips/);
  });
});
