/** /v1/me/api-tokens: a user manages their own API tokens with a bearer token carrying `tessera:tokens`. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';

let h: Harness;
let exchanger: { client_id: string; client_secret: string };
let alice: string;
let bob: string;
let aliceId: string;

/** A user's bearer token: an admin-made API token exchanged for a JWT, as a CLI would do it. */
async function userBearer(username: string, scopes: string[], scope?: string): Promise<string> {
  const { token } = await h.ctx.apiTokens.create({ user: username, name: 'session', scopes }, { actor: { type: 'client', id: 'test' } });
  const res = await request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: token, subject_token_type: API_TOKEN_TYPE, ...(scope ? { scope } : {}) });
  if (res.status !== 200) throw new Error(res.text);
  return `Bearer ${res.body.access_token}`;
}

beforeAll(async () => {
  h = await startHarness();
  await h.ctx.users.putRole('member', ['orders:read', 'orders:write', 'tessera:tokens']);
  aliceId = (await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['member'] })).id;
  await h.ctx.users.create({ username: 'bob', password: 'bob-password', roles: ['member'] });
  exchanger = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read', 'orders:write', 'tessera:tokens'] });
  alice = await userBearer('alice', ['orders:read', 'orders:write', 'tessera:tokens']);
  bob = await userBearer('bob', ['orders:read', 'tessera:tokens']);
});
afterAll(async () => { await h.stop(); });

const me = (auth: string) => ({
  post: (p: string) => request(h.app).post(`/v1/me${p}`).set('Authorization', auth),
  get: (p: string) => request(h.app).get(`/v1/me${p}`).set('Authorization', auth),
  del: (p: string) => request(h.app).delete(`/v1/me${p}`).set('Authorization', auth),
});

describe('self-service API tokens', () => {
  test('a user creates, lists, gets, rotates and revokes their own tokens', async () => {
    const created = await me(alice).post('/api-tokens').send({ name: 'laptop', scopes: ['orders:read'], expires_in: 86_400 });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/v1/me/api-tokens/${created.body.id}`);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toMatchObject({ user: aliceId, created_by: { type: 'user', id: aliceId }, token: expect.stringMatching(/^tsp_/) });

    const list = await me(alice).get('/api-tokens');
    expect(list.status).toBe(200);
    expect(list.body.items.every((t: { user: string }) => t.user === aliceId)).toBe(true);
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(created.body.id);
    expect((await me(alice).get(`/api-tokens/${created.body.id}`)).body.name).toBe('laptop');

    const rotated = await me(alice).post(`/api-tokens/${created.body.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(created.body.token);
    const revoked = await me(alice).del(`/api-tokens/${created.body.id}?reason=lost+laptop`);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'user', id: aliceId }, revocation_reason: 'lost laptop' });
  });

  test('another user\'s token is not found, in get, rotate, revoke and list', async () => {
    const mine = await me(alice).post('/api-tokens').send({ name: 'private', scopes: ['orders:read'] });
    expect((await me(bob).get(`/api-tokens/${mine.body.id}`)).status).toBe(404);
    expect((await me(bob).post(`/api-tokens/${mine.body.id}/rotate`)).status).toBe(404);
    expect((await me(bob).del(`/api-tokens/${mine.body.id}`)).status).toBe(404);
    expect((await me(bob).get('/api-tokens')).body.items.map((t: { id: string }) => t.id)).not.toContain(mine.body.id);
    expect((await h.ctx.store.apiTokens.get(mine.body.id))!.revoked_at).toBeNull();
  });

  test('a new token never exceeds the owner\'s roles or the calling token\'s scopes', async () => {
    const beyondRoles = await me(alice).post('/api-tokens').send({ name: 'x', scopes: ['admin:all'] });
    expect(beyondRoles.body).toEqual({ error: 'invalid_request', error_description: "the owner's roles do not allow: admin:all" });
    // bob's session carries orders:read only, though his role also allows orders:write.
    const beyondSession = await me(bob).post('/api-tokens').send({ name: 'x', scopes: ['orders:write'] });
    expect(beyondSession.body).toEqual({ error: 'invalid_request', error_description: 'the calling token does not carry: orders:write' });
  });

  test('the create body may not name a user, and the list may not filter by one', async () => {
    const res = await me(alice).post('/api-tokens').send({ user: 'bob', name: 'x', scopes: ['orders:read'] });
    expect(res.status).toBe(400);
    expect((await me(alice).get('/api-tokens?user=bob')).status).toBe(400);
  });

  test('no token is 401, a token without tessera:tokens or one of a client is 403 naming the scope', async () => {
    const none = await request(h.app).get('/v1/me/api-tokens');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    const narrow = await userBearer('alice', ['orders:read', 'tessera:tokens'], 'orders:read');
    const res = await me(narrow).get('/api-tokens');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="tessera:tokens"$/);
    const svc = await h.createClient({ scopes: ['tessera:tokens'] });
    const clientToken = `Bearer ${await h.clientToken(svc.client_id, svc.client_secret)}`;
    const clientRes = await me(clientToken).get('/api-tokens');
    expect(clientRes.status).toBe(403);
    expect(clientRes.body).toEqual({ error: 'insufficient_scope', error_description: 'a token issued to a user is required' });
  });

  test('other methods are 405 with Allow', async () => {
    const res = await request(h.app).put('/v1/me/api-tokens').set('Authorization', alice);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
  });
});
