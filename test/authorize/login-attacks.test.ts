/**
 * The login form under attack: what a failed login leaves in the audit log.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { authorizeQuery, openLogin, pkce, postLogin, REDIRECT } from './flow.js';

let h: Harness;
let aliceId: string;
beforeAll(async () => {
  h = await startHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  aliceId = (await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] })).id;
  await h.ctx.clients.create({ client_id: 'spa', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scopes: ['orders:read'] });
});
afterAll(async () => { await h.stop(); });

const login = async (username: string, password: string) => postLogin(h, await openLogin(h, authorizeQuery('spa', pkce().challenge)), username, password);

test('a password typed into the username field never reaches the audit log; a username that names a user does', async () => {
  const typo = 'alice-password-typed-as-the-username';
  expect((await login(typo, 'alice')).status).toBe(401);
  expect((await login(typo, 'alice again')).status).toBe(401);
  expect((await login('alice', 'not-her-password')).status).toBe(401);
  await h.flushAudit();
  const admin = `Bearer ${await h.adminToken()}`;
  const listed = await request(h.app).get('/admin/v1/audit?type=login.failed').set('Authorization', admin);
  const exported = await request(h.app).get('/admin/v1/audit/export?type=login.failed').set('Authorization', admin);
  for (const text of [JSON.stringify(listed.body), exported.text, JSON.stringify(h.audit.events)]) expect(text).not.toContain(typo);
  const [known, again, first] = listed.body.items;
  expect(known).toMatchObject({ subject: aliceId, client_id: 'spa', detail: { username: 'alice' } });
  expect(first).toMatchObject({ subject: null, client_id: 'spa', detail: { username_fingerprint: expect.stringMatching(/^fp_[A-Za-z0-9_-]{16}$/) } });
  expect(first.detail.username).toBeUndefined();
  // The same claim, the same fingerprint: repeated attempts can still be counted.
  expect(again.detail.username_fingerprint).toBe(first.detail.username_fingerprint);
});
