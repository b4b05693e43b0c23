/**
 * Two Tessera processes on one Redis, each caching client records in
 * process: a change made through one (secret rotated, scope removed,
 * client deleted) is refused by the other within a second, although the
 * other's cache would keep the record for an hour (TESSERA_CLIENT_CACHE_TTL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { startServer, type RunningServer } from '../support/process.js';

const ADMIN_SECRET = 'admin-secret-for-tests-0123456789';
const BOUND_MS = 1_000;

let dir: string;
let prefix: string;
let a: RunningServer;
let b: RunningServer;
let redis: Redis;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-client-cache-'));
  prefix = testRedisPrefix('client-cache');
  redis = new Redis(testRedisUrl());
  const env = {
    TESSERA_ISSUER: 'https://tessera.example.com', TESSERA_KEYS_DIR: path.join(dir, 'keys'), REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET, TESSERA_CLIENT_CACHE_TTL: '3600',
    TESSERA_RATE_LIMIT_AUTH_FAILURES: '100000/60', TESSERA_RATE_LIMIT_CLIENT: '100000/60',
  };
  a = await startServer(env);
  b = await startServer(env);
}, 40_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

const tokenRequest = (s: RunningServer, id: string, secret: string, scope?: string) =>
  fetch(`${s.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
  });

async function admin(s: RunningServer, method: string, p: string, body?: unknown): Promise<Response> {
  const tok = (await (await tokenRequest(s, 'tessera-admin', ADMIN_SECRET)).json()) as { access_token: string };
  return fetch(`${s.url}/admin/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${tok.access_token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function newClient(scopes: string[]): Promise<{ client_id: string; client_secret: string }> {
  const res = await admin(a, 'POST', '/clients', { grant_types: ['client_credentials'], scopes });
  expect(res.status).toBe(201);
  return (await res.json()) as { client_id: string; client_secret: string };
}

/** Polls until `refused` holds; the time it took, ms (fails past two seconds). */
async function timeUntil(refused: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await refused())) {
    if (Date.now() - start > 2 * BOUND_MS) throw new Error('the other instance still accepts it after 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** Until B serves `clientId` from its cache: a record changed behind Tessera's back (no announcement) is not seen by B. */
async function cachedByB(client: { client_id: string; client_secret: string }, scope: string): Promise<void> {
  expect((await tokenRequest(b, client.client_id, client.client_secret, scope)).status).toBe(200);
  const key = `${prefix}client:${client.client_id}`;
  const record = JSON.parse((await redis.get(key))!) as { scopes: string[] };
  await redis.set(key, JSON.stringify({ ...record, scopes: record.scopes.filter((s) => s !== scope) }), 'KEEPTTL');
  try {
    expect((await tokenRequest(b, client.client_id, client.client_secret, scope)).status).toBe(200);
  } finally {
    await redis.set(key, JSON.stringify(record), 'KEEPTTL');
  }
}

test('B caches client records: a change written behind its back is not read again', async () => {
  const client = await newClient(['orders:read', 'orders:write']);
  await cachedByB(client, 'orders:write');
});

test('a secret rotated through A is refused by B within a second', async () => {
  const client = await newClient(['orders:read']);
  await cachedByB(client, 'orders:read');
  const rotated = await admin(a, 'POST', `/clients/${client.client_id}/secret`);
  expect(rotated.status).toBe(200);
  const { client_secret: fresh } = (await rotated.json()) as { client_secret: string };
  const ms = await timeUntil(async () => (await tokenRequest(b, client.client_id, client.client_secret)).status === 401);
  expect(ms).toBeLessThanOrEqual(BOUND_MS);
  expect((await tokenRequest(b, client.client_id, fresh)).status).toBe(200);
});

test('a scope removed through A is refused by B within a second', async () => {
  const client = await newClient(['orders:read', 'orders:write']);
  await cachedByB(client, 'orders:write');
  expect((await admin(a, 'PATCH', `/clients/${client.client_id}`, { scopes: ['orders:read'] })).status).toBe(200);
  const ms = await timeUntil(async () => (await tokenRequest(b, client.client_id, client.client_secret, 'orders:write')).status === 400);
  expect(ms).toBeLessThanOrEqual(BOUND_MS);
  expect((await tokenRequest(b, client.client_id, client.client_secret, 'orders:read')).status).toBe(200);
});

test('a client deleted through A is refused by B within a second', async () => {
  const client = await newClient(['orders:read']);
  await cachedByB(client, 'orders:read');
  expect((await admin(a, 'DELETE', `/clients/${client.client_id}`)).status).toBe(204);
  const ms = await timeUntil(async () => (await tokenRequest(b, client.client_id, client.client_secret)).status === 401);
  expect(ms).toBeLessThanOrEqual(BOUND_MS);
});
