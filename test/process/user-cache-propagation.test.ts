/**
 * Two Tessera processes on one Redis, each caching users and roles in
 * process: a change made through one (user disabled, tokens revoked, user
 * deleted, a role's scopes narrowed) is seen by the other's refresh-token
 * rotation within a second, although the other's cache would keep the
 * records for an hour (TESSERA_USER_CACHE_TTL).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { loginThroughForm } from '../support/login-form.js';
import { startServer, type RunningServer } from '../support/process.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';

const ADMIN_SECRET = 'admin-secret-for-tests-0123456789';
const BOUND_MS = 1_000;
const REDIRECT = 'http://localhost:5173/cb';
const PASSWORD = 'correct horse battery staple';

let dir: string;
let prefix: string;
let a: RunningServer;
let b: RunningServer;
let redis: Redis;
let webSecret: string;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

async function admin(s: RunningServer, method: string, p: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${s.url}/oauth/token`, {
    method: 'POST', headers: { ...FORM, Authorization: basic('tessera-admin', ADMIN_SECRET) }, body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await res.json()) as { access_token: string };
  return fetch(`${s.url}/admin/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-user-cache-'));
  prefix = testRedisPrefix('user-cache');
  redis = new Redis(testRedisUrl());
  const env = {
    TESSERA_ISSUER: 'https://tessera.example.com', TESSERA_KEYS_DIR: path.join(dir, 'keys'), REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET, TESSERA_USER_CACHE_TTL: '3600', TESSERA_CLIENT_CACHE_TTL: '3600',
    TESSERA_RATE_LIMIT_AUTH_FAILURES: '100000/60', TESSERA_RATE_LIMIT_CLIENT: '100000/60',
  };
  a = await startServer(env);
  b = await startServer(env);
  const web = await admin(a, 'POST', '/clients', {
    client_id: 'web-app', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'orders:write', 'offline_access'],
  });
  expect(web.status).toBe(201);
  webSecret = ((await web.json()) as { client_secret: string }).client_secret;
}, 40_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

interface Session {
  userId: string;
  role: string;
  /** The family's live refresh token. */
  token: string;
}

/** A user with a role of their own (orders:read, orders:write), signed in through A's login form: their first refresh token. */
async function newSession(): Promise<Session> {
  const tag = randomBytes(4).toString('hex');
  const role = `staff-${tag}`;
  expect((await admin(a, 'PUT', `/roles/${role}`, { scopes: ['orders:read', 'orders:write'] })).status).toBe(201);
  const created = await admin(a, 'POST', '/users', { username: `user-${tag}`, password: PASSWORD, roles: [role] });
  expect(created.status).toBe(201);
  const { id: userId } = (await created.json()) as { id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = `${a.url}/oauth/authorize?${new URLSearchParams({
    response_type: 'code', client_id: 'web-app', redirect_uri: REDIRECT, scope: 'orders:read orders:write offline_access', state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })}`;
  const code = (await loginThroughForm(authorize, `user-${tag}`, PASSWORD)).searchParams.get('code')!;
  const res = await fetch(`${a.url}/oauth/token`, {
    method: 'POST', headers: { ...FORM, Authorization: basic('web-app', webSecret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }).toString(),
  });
  expect(res.status).toBe(200);
  return { userId, role, token: ((await res.json()) as { refresh_token: string }).refresh_token };
}

/** A rotation at `s`; on success the session moves on to the successor. */
async function refresh(s: RunningServer, session: Session): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.url}/oauth/token`, {
    method: 'POST', headers: { ...FORM, Authorization: basic('web-app', webSecret) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.token }).toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status === 200) session.token = body.refresh_token as string;
  return { status: res.status, body };
}

/** Polls until `done` holds; the time it took, ms (fails past two seconds). */
async function timeUntil(done: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > 2 * BOUND_MS) throw new Error('the other instance still grants it after 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** Until B serves the user and their role from its cache: both changed behind Tessera's back (no announcement), B still grants as before. */
async function cachedByB(session: Session): Promise<void> {
  expect((await refresh(b, session)).status).toBe(200);
  const userKey = `${prefix}user:${session.userId}`;
  const user = (await redis.get(userKey))!;
  const role = (await redis.hget(`${prefix}roles`, session.role))!;
  await redis.set(userKey, JSON.stringify({ ...JSON.parse(user), disabled: true }), 'KEEPTTL');
  await redis.hset(`${prefix}roles`, session.role, JSON.stringify({ ...JSON.parse(role), scopes: ['orders:read'] }));
  try {
    const again = await refresh(b, session);
    expect(again).toMatchObject({ status: 200, body: { scope: 'orders:read orders:write offline_access' } });
  } finally {
    await redis.set(userKey, user, 'KEEPTTL');
    await redis.hset(`${prefix}roles`, session.role, role);
  }
}

const refused = (s: RunningServer, session: Session) => async () => {
  const answer = await refresh(s, session);
  if (answer.status === 200) return false;
  expect(answer).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
  return true;
};

test('B caches users and roles: a user disabled and a role narrowed behind its back still rotate there', async () => {
  await cachedByB(await newSession());
});

test('a user disabled through A has their refresh token refused by B within a second', async () => {
  const session = await newSession();
  await cachedByB(session);
  expect((await admin(a, 'PATCH', `/users/${session.userId}`, { disabled: true })).status).toBe(200);
  expect(await timeUntil(refused(b, session))).toBeLessThanOrEqual(BOUND_MS);
});

test("a user's tokens revoked through A are refused by B within a second", async () => {
  const session = await newSession();
  await cachedByB(session);
  expect((await admin(a, 'POST', `/users/${session.userId}/revoke-tokens`)).status).toBe(200);
  expect(await timeUntil(refused(b, session))).toBeLessThanOrEqual(BOUND_MS);
});

test('a user deleted through A has their refresh token refused by B within a second', async () => {
  const session = await newSession();
  await cachedByB(session);
  expect((await admin(a, 'DELETE', `/users/${session.userId}`)).status).toBe(204);
  expect(await timeUntil(refused(b, session))).toBeLessThanOrEqual(BOUND_MS);
});

test("a role narrowed through A, and the user's roles changed through A, narrow B's rotations within a second", async () => {
  const session = await newSession();
  await cachedByB(session);
  expect((await admin(a, 'PUT', `/roles/${session.role}`, { scopes: ['orders:read'] })).status).toBe(200);
  const narrowed = async () => {
    const answer = await refresh(b, session);
    expect(answer.status).toBe(200);
    return answer.body.scope === 'orders:read offline_access';
  };
  expect(await timeUntil(narrowed)).toBeLessThanOrEqual(BOUND_MS);
  expect((await admin(a, 'PATCH', `/users/${session.userId}`, { roles: [] })).status).toBe(200);
  const none = async () => {
    const answer = await refresh(b, session);
    expect(answer.status).toBe(200);
    return answer.body.scope === 'offline_access';
  };
  expect(await timeUntil(none)).toBeLessThanOrEqual(BOUND_MS);
});
