import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let auth: string;
beforeAll(async () => {
  h = await startHarness();
  auth = `Bearer ${await h.adminToken()}`;
});
afterAll(async () => { await h.stop(); });

const admin = () => ({
  post: (p: string) => request(h.app).post(p).set('Authorization', auth),
  get: (p: string) => request(h.app).get(p).set('Authorization', auth),
  patch: (p: string) => request(h.app).patch(p).set('Authorization', auth),
  del: (p: string) => request(h.app).delete(p).set('Authorization', auth),
});

describe('/admin/v1/clients', () => {
  test('create answers 201 with Location, the client and its secret once', async () => {
    const res = await admin().post('/admin/v1/clients').send({ client_id: 'svc-a', name: 'Service A', scopes: ['a:read'], audiences: ['https://a.example.com'] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/admin/v1/clients/svc-a');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      client_id: 'svc-a', name: 'Service A', public: false, grant_types: ['client_credentials'], scopes: ['a:read'],
      default_scopes: null, audiences: ['https://a.example.com'], redirect_uris: [], third_party: false, always_issue_refresh_token: false,
      token_endpoint_auth_method: 'client_secret_basic', jwks: null, jwks_uri: null, dpop_bound_access_tokens: false,
      created_at: expect.any(String), updated_at: expect.any(String), secret_rotated_at: expect.any(String),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const got = await admin().get('/admin/v1/clients/svc-a');
    expect(got.status).toBe(200);
    expect(got.body.client_secret).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain('hash');
  });

  test('the secret is stored only as a hash', async () => {
    const res = await admin().post('/admin/v1/clients').send({ scopes: [] });
    const stored = await h.ctx.store.clients.get(res.body.client_id);
    expect(stored!.secret_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(res.body.client_secret);
  });

  test('a chosen secret is hashed with scrypt and works', async () => {
    const res = await admin().post('/admin/v1/clients').send({ client_id: 'chosen', client_secret: 'a-chosen-secret-123' });
    expect(res.body.client_secret).toBe('a-chosen-secret-123');
    expect((await h.ctx.store.clients.get('chosen'))!.secret_hash).toMatch(/^scrypt:/);
    await h.clientToken('chosen', 'a-chosen-secret-123');
  });

  test('a public client has no secret', async () => {
    const res = await admin().post('/admin/v1/clients').send({ public: true, redirect_uris: ['http://localhost:5173/cb'] });
    expect(res.status).toBe(201);
    expect(res.body.public).toBe(true);
    expect(res.body.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect('client_secret' in res.body).toBe(false);
  });

  test.each([
    [{ client_id: 'bad id' }, 'client_id'],
    [{ scopes: ['has space'] }, 'scopes.0'],
    [{ grant_types: ['password'] }, 'grant_types.0'],
    [{ audiences: ['not a uri'] }, 'audiences.0'],
    [{ unknown_field: 1 }, 'unknown_field'],
    [{ public: true, grant_types: ['client_credentials'] }, 'public client'],
    [{ grant_types: ['authorization_code'] }, 'redirect_uri'],
    [{ scopes: ['a'], default_scopes: ['b'] }, 'default_scopes'],
    [{ client_secret: 'short' }, 'client_secret'],
    [{ public: true, client_secret: 'long-enough-secret-1234', redirect_uris: ['https://x.example/cb'] }, 'public client'],
  ])('create with %j is 400 invalid_request naming %s', async (body, mention) => {
    const res = await admin().post('/admin/v1/clients').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(mention);
  });

  test('a body that is not JSON is 400', async () => {
    const res = await admin().post('/admin/v1/clients').type('form').send('client_id=x');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('a taken client_id is 409', async () => {
    await admin().post('/admin/v1/clients').send({ client_id: 'dupe' }).expect(201);
    const res = await admin().post('/admin/v1/clients').send({ client_id: 'dupe' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'conflict', error_description: 'client dupe already exists' });
  });

  test('list pages with limit and cursor in id order', async () => {
    for (let i = 0; i < 5; i++) await admin().post('/admin/v1/clients').send({ client_id: `page-${i}` }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await admin().get(`/admin/v1/clients?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: { client_id: string }) => c.client_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(['page-0', 'page-4', 'tessera-admin']));
  });

  test.each(['limit=0', 'limit=201', 'limit=abc', 'limit=1&limit=2', 'cursor=%%%'])('list with %s is 400', async (q) => {
    const res = await admin().get(`/admin/v1/clients?${q}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('update changes fields and keeps the secret', async () => {
    const created = await admin().post('/admin/v1/clients').send({ client_id: 'upd', scopes: ['a'] });
    const res = await admin().patch('/admin/v1/clients/upd').send({ scopes: ['a', 'b'], name: 'Renamed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: 'upd', name: 'Renamed', scopes: ['a', 'b'] });
    await h.clientToken('upd', created.body.client_secret, { scope: 'b' });
  });

  test('update cannot change client_id or public', async () => {
    await admin().post('/admin/v1/clients').send({ client_id: 'fixed' }).expect(201);
    expect((await admin().patch('/admin/v1/clients/fixed').send({ client_id: 'other' })).status).toBe(400);
    expect((await admin().patch('/admin/v1/clients/fixed').send({ public: true })).status).toBe(400);
  });

  test('rotating the secret shows the new one once and the old one stops working', async () => {
    const created = await admin().post('/admin/v1/clients').send({ client_id: 'rot' });
    const res = await admin().post('/admin/v1/clients/rot/secret');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.client_secret).not.toBe(created.body.client_secret);
    await expect(h.clientToken('rot', created.body.client_secret)).rejects.toThrow(/401/);
    await h.clientToken('rot', res.body.client_secret);
  });

  test('rotating a public client secret is 400', async () => {
    const c = await admin().post('/admin/v1/clients').send({ public: true, redirect_uris: ['https://x.example/cb'] });
    expect((await admin().post(`/admin/v1/clients/${c.body.client_id}/secret`)).status).toBe(400);
  });

  test('delete is 204, then 404', async () => {
    await admin().post('/admin/v1/clients').send({ client_id: 'gone' }).expect(201);
    expect((await admin().del('/admin/v1/clients/gone')).status).toBe(204);
    const res = await admin().get('/admin/v1/clients/gone');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'client gone does not exist' });
    expect((await admin().del('/admin/v1/clients/gone')).status).toBe(404);
    expect((await admin().patch('/admin/v1/clients/gone').send({ name: 'x' })).status).toBe(404);
    expect((await admin().post('/admin/v1/clients/gone/secret')).status).toBe(404);
  });

  test('an id that cannot be a client id is 404', async () => {
    expect((await admin().get('/admin/v1/clients/%20bad')).status).toBe(404);
  });
});

describe('admin API authentication (RFC 6750)', () => {
  test('no token is 401 with a bare Bearer challenge', async () => {
    const res = await request(h.app).get('/admin/v1/clients');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(res.body.error).toBe('invalid_token');
  });

  test('a malformed Authorization header is 400 invalid_request', async () => {
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', 'Bearer a b c');
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_request"/);
  });

  test('Basic credentials are not a bearer token', async () => {
    const res = await request(h.app).get('/admin/v1/clients').auth('tessera-admin', 'x');
    expect(res.status).toBe(400);
  });

  test('a garbage token is 401 invalid_token', async () => {
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', 'Bearer abc.def.ghi');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token", error_description="token is not valid"');
  });

  test('a token without tessera:admin is 403 insufficient_scope', async () => {
    const c = await h.createClient({ scopes: ['orders:read'] });
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${await h.clientToken(c.client_id, c.client_secret)}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope", error_description="the tessera:admin scope is required", scope="tessera:admin"');
  });

  test('an admin-scoped token for another audience is refused (RFC 9068 §4)', async () => {
    const c = await h.createClient({ scopes: ['tessera:admin'], audiences: ['https://elsewhere.example.com'] });
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${await h.clientToken(c.client_id, c.client_secret)}`);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe('the token is not meant for this server');
  });

  test('an unknown admin path needs the token first, then is 404', async () => {
    expect((await request(h.app).get('/admin/v1/nothing')).status).toBe(401);
    const res = await request(h.app).get('/admin/v1/nothing').set('Authorization', auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
  });
});
