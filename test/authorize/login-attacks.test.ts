/**
 * The login form under attack: what a failed login leaves in the audit log.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { authorizeQuery, openLogin, pkce, postLogin, REDIRECT, type LoginPage } from './flow.js';

let h: Harness;
let aliceId: string;
beforeAll(async () => {
  h = await startHarness({ env: { TESSERA_TRUST_PROXY: 'loopback' } });
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

describe('attempts sent at once', () => {
  /** Opens a login page per attempt, then posts them all at once from `ip`. */
  async function atOnce(ip: string, attempts: Array<[string, string]>) {
    const pages: LoginPage[] = [];
    for (let i = 0; i < attempts.length; i++) pages.push(await openLogin(h, authorizeQuery('spa', pkce().challenge)));
    return Promise.all(attempts.map(([u, p], i) => postLogin(h, pages[i]!, u, p).set('X-Forwarded-For', ip)));
  }
  /** A refusal without a check carries Retry-After; a checked failure does not; a success redirects. */
  const checked = (answers: Array<{ status: number; headers: Record<string, string> }>) =>
    answers.filter((r) => r.status === 303 || (r.status === 401 && r.headers['retry-after'] === undefined)).length;

  test('24 wrong passwords and then the right one for one user: only the 5 the username allows are checked; the rest, the right one included, wait', async () => {
    await h.ctx.users.create({ username: 'bob', password: 'bob-password', roles: ['reader'] });
    const answers = await atOnce('203.0.113.7', [...Array.from({ length: 24 }, (_, i): [string, string] => ['bob', `wrong-${i}`]), ['bob', 'bob-password']]);
    expect(checked(answers)).toBe(5);
    const paused = answers.filter((r) => r.headers['retry-after'] !== undefined);
    expect(paused).toHaveLength(20);
    for (const r of paused) expect(r.status).toBe(401);
    // The right one got through only if it was among the five checked (it was sent last).
    expect(answers.filter((r) => r.status === 303).length).toBeLessThanOrEqual(1);
  });

  test('60 attempts for different usernames from one address: only the 50 the address allows are checked', async () => {
    const answers = await atOnce('203.0.113.8', Array.from({ length: 60 }, (_, i): [string, string] => [`nobody-${i}`, 'whatever']));
    expect(checked(answers)).toBe(50);
    expect(answers.filter((r) => r.headers['retry-after'] !== undefined)).toHaveLength(10);
  });
});
