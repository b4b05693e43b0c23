/**
 * Passwords and chosen client secrets at rest: scrypt at OWASP's parameters
 * by default, and hashes made at an older cost replaced after the next
 * successful login or client authentication.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { authorizeQuery, openLogin, pkce, postLogin, REDIRECT } from '../authorize/flow.js';

/** A hash as an older Tessera stored it: N=2^10, made by hand so that nothing of today's code is involved. */
function olderHash(secret: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(secret, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt:1024:8:1:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return read();
}

async function addClientAndUser(h: Harness): Promise<void> {
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.clients.create({ client_id: 'spa', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scopes: ['orders:read'] });
}

const login = async (h: Harness, username: string, password: string) =>
  postLogin(h, await openLogin(h, authorizeQuery('spa', pkce().challenge)), username, password);

test('on its default settings the server stores passwords and chosen client secrets as scrypt N=2^17, r=8, p=1, and they work', async () => {
  // An empty value is unset: the default cost, not the cheap one the other suites use.
  const h = await startHarness({ env: { TESSERA_PASSWORD_HASH_COST: '' } });
  try {
    await addClientAndUser(h);
    const admin = `Bearer ${await h.adminToken()}`;
    const user = await request(h.app).post('/admin/v1/users').set('Authorization', admin).send({ username: 'carol', password: 'carol-password', roles: ['reader'] });
    expect(user.status).toBe(201);
    expect((await h.ctx.store.users.get(user.body.id))!.password_hash).toMatch(/^scrypt:131072:8:1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    expect((await login(h, 'carol', 'carol-password')).status).toBe(303);
    const client = await h.createClient({ client_id: 'typed', client_secret: 'a secret someone chose', scopes: [] });
    expect((await h.ctx.store.clients.get('typed'))!.secret_hash).toMatch(/^scrypt:131072:8:1:/);
    expect((await request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'client_credentials' })).status).toBe(200);
  } finally {
    await h.stop();
  }
});

describe('hashes made at an older cost', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { TESSERA_PASSWORD_HASH_COST: '11' } });
    await addClientAndUser(h);
  });
  afterAll(async () => { await h.stop(); });

  test('a password is rehashed at the current cost after the next successful login, and still works; a failed login changes nothing', async () => {
    const dave = await h.ctx.users.create({ username: 'dave', password: 'placeholder-password', roles: ['reader'] });
    const older = olderHash('dave-password');
    await h.ctx.store.users.replace({ ...dave, password_hash: older });
    expect((await login(h, 'dave', 'not-his-password')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.ctx.store.users.get(dave.id))!.password_hash).toBe(older);
    expect((await login(h, 'dave', 'dave-password')).status).toBe(303);
    const rehashed = await eventually(async () => (await h.ctx.store.users.get(dave.id))!.password_hash, (v) => v !== older);
    expect(rehashed).toMatch(/^scrypt:2048:8:1:/);
    expect((await login(h, 'dave', 'dave-password')).status).toBe(303);
  });

  test('a chosen client secret is rehashed at the current cost after the next successful authentication', async () => {
    const c = await h.createClient({ client_id: 'legacy', client_secret: 'placeholder-secret', scopes: [] });
    const older = olderHash('the legacy secret');
    await h.ctx.store.clients.replace({ ...(await h.ctx.store.clients.get(c.client_id))!, secret_hash: older });
    const cc = () => request(h.app).post('/oauth/token').auth(c.client_id, 'the legacy secret').type('form').send({ grant_type: 'client_credentials' });
    expect((await cc()).status).toBe(200);
    const rehashed = await eventually(async () => (await h.ctx.store.clients.get(c.client_id))!.secret_hash, (v) => v !== older);
    expect(rehashed).toMatch(/^scrypt:2048:8:1:/);
    expect((await cc()).status).toBe(200);
  });
});
