/** /admin/v1/trust-policies: create, list, get, update, delete; every rule a policy must satisfy; audit events. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { clientKey, jwksOf } from '../support/client-keys.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GHA = 'https://token.actions.githubusercontent.com';

let h: Harness;
let auth: string;
beforeAll(async () => {
  h = await startHarness();
  auth = `Bearer ${await h.adminToken()}`;
  await h.createClient({ client_id: 'ci', grant_types: [GRANT], scopes: ['deploy:write', 'deploy:read'] });
  await h.createClient({ client_id: 'plain', scopes: ['deploy:read'] });
});
afterAll(async () => { await h.stop(); });

const admin = {
  post: (body: Record<string, unknown>) => request(h.app).post('/admin/v1/trust-policies').set('Authorization', auth).send(body),
  get: (path = '') => request(h.app).get(`/admin/v1/trust-policies${path}`).set('Authorization', auth),
  patch: (id: string, body: Record<string, unknown>) => request(h.app).patch(`/admin/v1/trust-policies/${id}`).set('Authorization', auth).send(body),
  del: (id: string) => request(h.app).delete(`/admin/v1/trust-policies/${id}`).set('Authorization', auth),
};
const base = { issuer: GHA, audiences: ['https://auth.example.com'], conditions: { repository: 'acme/app' }, client_id: 'ci', scopes: ['deploy:read'] };

test('create answers 201 with Location and the policy with its defaults; get and list show it; the audit log has it', async () => {
  const res = await admin.post({ id: 'gha-app', ...base, conditions: { repository: 'acme/app', ref: ['refs/heads/main', 'refs/heads/release/*'] } });
  expect(res.status).toBe(201);
  expect(res.headers.location).toBe('/admin/v1/trust-policies/gha-app');
  expect(res.body).toEqual({
    id: 'gha-app', description: '', issuer: GHA, jwks_uri: null, jwks: null, audiences: ['https://auth.example.com'],
    conditions: { repository: ['acme/app'], ref: ['refs/heads/main', 'refs/heads/release/*'] }, client_id: 'ci', subject: '{sub}',
    scopes: ['deploy:read'], max_token_lifetime: 3600, created_at: expect.any(String), updated_at: expect.any(String),
  });
  expect((await admin.get('/gha-app')).body).toEqual(res.body);
  expect((await admin.get()).body.items.map((p: { id: string }) => p.id)).toContain('gha-app');
  expect(h.audit.events.find((e) => e.type === 'trust_policy.created' && e.subject === 'gha-app')).toMatchObject({ client_id: 'ci', detail: { issuer: GHA } });
  expect((await admin.post({ id: 'gha-app', ...base })).status).toBe(409);
});

test.each([
  [{ conditions: {} }, 'conditions: needs at least one condition: without one every token of the issuer would do (for GitHub: every repository in the world)'],
  [{ conditions: { aud: 'x' } }, 'conditions.aud: iss, aud, exp, iat, nbf and jti are checked by the policy itself, not by conditions'],
  [{ audiences: [] }, 'audiences: needs at least one audience'],
  [{ issuer: 'http://issuer.example' }, 'issuer must be an https:// URL (http:// only to localhost/127.0.0.1/::1) to discover its keys; or give jwks_uri or jwks'],
  [{ issuer: 'not-a-url' }, 'issuer must be an absolute URL to discover its keys; or give jwks_uri or jwks'],
  [{ client_id: 'nobody' }, 'client nobody does not exist'],
  [{ client_id: 'plain' }, `client plain is not registered for the ${GRANT} grant`],
  [{ scopes: ['admin:all'] }, "scopes not among client ci's scopes: admin:all"],
  [{ subject: 'github:{repository' }, 'subject: must be text with {claim} placeholders: a { or } that is not part of a {claim} placeholder'],
  [{ max_token_lifetime: 10 }, 'max_token_lifetime: Too small: expected number to be >=60'],
  [{ jwks_uri: 'http://keys.example/jwks' }, 'jwks_uri: must be an https:// URL (http:// only to localhost/127.0.0.1/::1)'],
  [{ id: 'bad id' }, 'id: must be 1-128 characters of A-Z a-z 0-9 . _ ~ : - starting with a letter or digit'],
  [{ extra: 1 }, "body: unknown key 'extra'"],
])('refused: %j', async (change, description) => {
  const res = await admin.post({ id: 'p', ...base, ...change });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
});

test('jwks and jwks_uri together are refused; inline keys make any issuer string acceptable', async () => {
  const key = await clientKey('ES256');
  const both = await admin.post({ id: 'both', ...base, jwks: jwksOf(key), jwks_uri: 'https://keys.example/jwks' });
  expect(both.body.error_description).toBe('give jwks or jwks_uri, not both');
  const inline = await admin.post({ id: 'k8s-inline', ...base, issuer: 'kubernetes/serviceaccount', jwks: jwksOf(key), conditions: { sub: 'system:serviceaccount:ops:*' } });
  expect(inline.status).toBe(201);
  expect(inline.body.jwks).toEqual(jwksOf(key));
});

test('update replaces the fields given, never the id or the issuer; delete is 204, then 404', async () => {
  await admin.post({ id: 'upd', ...base });
  const res = await admin.patch('upd', { scopes: ['deploy:write'], subject: 'gh:{repository}', description: 'deploys' });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ scopes: ['deploy:write'], subject: 'gh:{repository}', description: 'deploys', issuer: GHA });
  expect((await admin.patch('upd', { issuer: 'https://elsewhere.example' })).body.error_description).toBe("body: unknown key 'issuer'");
  expect((await admin.patch('upd', { client_id: 'plain' })).body.error_description).toBe(`client plain is not registered for the ${GRANT} grant`);
  expect(h.audit.events.some((e) => e.type === 'trust_policy.updated' && e.subject === 'upd')).toBe(true);
  expect((await admin.del('upd')).status).toBe(204);
  expect((await admin.del('upd')).status).toBe(404);
  expect((await admin.get('/upd')).status).toBe(404);
  expect((await admin.patch('nope', { description: 'x' })).status).toBe(404);
});

test('list pages with limit and cursor', async () => {
  for (const id of ['page-a', 'page-b', 'page-c']) await admin.post({ id, ...base });
  const first = await admin.get('?limit=2');
  expect(first.body.items).toHaveLength(2);
  const rest = await admin.get(`?limit=200&cursor=${first.body.next_cursor}`);
  expect([...first.body.items, ...rest.body.items].map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
  expect(rest.body.next_cursor).toBeNull();
});

test('needs tessera:admin', async () => {
  const res = await request(h.app).get('/admin/v1/trust-policies');
  expect(res.status).toBe(401);
});
