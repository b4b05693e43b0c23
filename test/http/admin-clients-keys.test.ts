/**
 * Client registration for private_key_jwt and DPoP through the admin API
 * (RFC 7591 §2 names: token_endpoint_auth_method, jwks, jwks_uri; RFC 9449
 * §5.2 dpop_bound_access_tokens): what is accepted, what is refused, and
 * moving a client between secret and key authentication.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { clientKey, jwksOf, type ClientKey } from '../support/client-keys.js';

let h: Harness;
let auth: string;
let key: ClientKey;
beforeAll(async () => {
  h = await startHarness();
  auth = `Bearer ${await h.adminToken()}`;
  key = await clientKey('ES256', 'k1');
});
afterAll(async () => { await h.stop(); });

const post = (body: Record<string, unknown>) => request(h.app).post('/admin/v1/clients').set('Authorization', auth).send(body);
const patch = (id: string, body: Record<string, unknown>) => request(h.app).patch(`/admin/v1/clients/${id}`).set('Authorization', auth).send(body);

test('a private_key_jwt client with jwks is created with no secret; with jwks_uri likewise', async () => {
  const res = await post({ client_id: 'kj-1', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key) });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ public: false, token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), jwks_uri: null, secret_rotated_at: null });
  expect(res.body.client_secret).toBeUndefined();
  expect((await h.ctx.store.clients.get('kj-1'))!.secret_hash).toBeNull();
  const uri = await post({ client_id: 'kj-2', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example.com/jwks.json' });
  expect(uri.status).toBe(201);
  expect(uri.body).toMatchObject({ jwks: null, jwks_uri: 'https://keys.example.com/jwks.json' });
});

test.each([
  [{ token_endpoint_auth_method: 'private_key_jwt' }, 'a private_key_jwt client needs its public keys: jwks or jwks_uri, not both'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] }, jwks_uri: 'https://keys.example.com/jwks' }, 'a private_key_jwt client needs its public keys: jwks or jwks_uri, not both'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] } }, 'jwks.keys.0: a key holds private or symmetric material: publish public keys only'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks.keys.0: each key needs kty RSA, EC or OKP; jwks.keys.0: a key holds private or symmetric material: publish public keys only'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }, 'jwks.keys: needs at least one key'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example.com/jwks' }, 'jwks_uri: must be an https:// URL (http:// only to localhost/127.0.0.1/::1)'],
  [{ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example.com/jwks', client_secret: 'a-secret-of-16-chars-or-more' }, 'a private_key_jwt client has no client_secret'],
  [{ jwks_uri: 'https://keys.example.com/jwks' }, 'jwks and jwks_uri are for private_key_jwt clients only (set them to null)'],
  [{ public: false, token_endpoint_auth_method: 'none' }, 'token_endpoint_auth_method none is for public clients'],
  [{ public: true, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://app.example/cb'] }, 'a public client has token_endpoint_auth_method none'],
  [{ token_endpoint_auth_method: 'client_secret_jwt' }, 'token_endpoint_auth_method: Invalid option: expected one of  client_secret_basic | client_secret_post | private_key_jwt | none '],
])('refused: %j', async (body, description) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
});

test('public: true implies none, and none alone makes a public client', async () => {
  const res = await post({ client_id: 'pub-none', token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'] });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ public: true, token_endpoint_auth_method: 'none' });
});

test('moving to private_key_jwt deletes the secret; rotation is refused until the client moves back', async () => {
  const created = await post({ client_id: 'mover', scopes: [] });
  expect(created.body.token_endpoint_auth_method).toBe('client_secret_basic');
  const moved = await patch('mover', { token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), dpop_bound_access_tokens: true });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', secret_rotated_at: null, dpop_bound_access_tokens: true });
  expect((await h.ctx.store.clients.get('mover'))!.secret_hash).toBeNull();
  const old = await request(h.app).post('/oauth/token').auth('mover', created.body.client_secret).type('form').send({ grant_type: 'client_credentials' });
  expect(old.status).toBe(401);
  const rotate = await request(h.app).post('/admin/v1/clients/mover/secret').set('Authorization', auth);
  expect(rotate.status).toBe(400);
  expect(rotate.body.error_description).toBe('this client authenticates with private_key_jwt; set token_endpoint_auth_method to client_secret_basic first');
  const half = await patch('mover', { token_endpoint_auth_method: 'client_secret_basic' });
  expect(half.body.error_description).toBe('jwks and jwks_uri are for private_key_jwt clients only (set them to null)');
  const back = await patch('mover', { token_endpoint_auth_method: 'client_secret_post', jwks: null });
  expect(back.status).toBe(200);
  const secret = await request(h.app).post('/admin/v1/clients/mover/secret').set('Authorization', auth);
  expect(secret.status).toBe(200);
  expect(secret.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_post', client_secret: expect.any(String) });
});

test('a client cannot move to or from none (public never changes)', async () => {
  await post({ client_id: 'conf', scopes: [] });
  expect((await patch('conf', { token_endpoint_auth_method: 'none' })).body.error_description).toBe('token_endpoint_auth_method none is for public clients');
});

test('the jwt-bearer grant is a grant type a client may be registered for', async () => {
  const res = await post({ client_id: 'fed', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], scopes: ['deploy'] });
  expect(res.status).toBe(201);
  expect(res.body.grant_types).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer']);
});
