/**
 * TESSERA_KEYS_STORAGE=store on two real server processes, each with a keys
 * dir of its own (as on two hosts without a shared disk), on one Redis: they
 * share the active key (a token one signs verifies against the other's
 * JWKS), a rotation on one is served by the other within a second, and
 * nothing in Redis under the deployment's prefix holds private key material
 * in the clear.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ensureBuilt } from '../support/build.js';
import { startServer, type RunningServer } from '../support/process.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { adminAccessToken } from '../support/token-calls.js';

const ADMIN_SECRET = 'an-admin-secret-for-keys-in-store';
const ISSUER = 'http://tessera.keys-in-store.test';
const PASSPHRASE = 'the passphrase of the signing keys';

let dir: string;
let servers: RunningServer[] = [];
let redis: Redis;
beforeAll(async () => { await ensureBuilt('dist/main.js'); redis = new Redis(testRedisUrl()); }, 180_000);
afterAll(async () => { await redis.quit(); });
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-store-keys-')); });
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

const token = (server: RunningServer): Promise<string> => adminAccessToken(server, ADMIN_SECRET);

async function jwksOf(server: RunningServer): Promise<JSONWebKeySet & { etag: string }> {
  const res = await fetch(`${server.url}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return { ...((await res.json()) as JSONWebKeySet), etag: res.headers.get('etag')! };
}

test('two processes with separate keys dirs share keys and rotation through the store, which holds nothing in the clear', async () => {
  const prefix = testRedisPrefix('keys-in-store');
  const env = (name: string) => ({
    REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_ISSUER: ISSUER, TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    TESSERA_KEYS_STORAGE: 'store', TESSERA_KEYS_PASSPHRASE: PASSPHRASE, TESSERA_KEYS_DIR: path.join(dir, name),
    // Polling far apart: what reaches the other process within a second is the announcement.
    TESSERA_KEYS_POLL_INTERVAL: '60000',
  });
  const a = await startServer(env('a'));
  servers.push(a);
  const b = await startServer(env('b'));
  servers.push(b);

  // Shared active key: a token from each verifies against the other's JWKS.
  const fromA = await token(a);
  const fromB = await token(b);
  expect(decodeProtectedHeader(fromA).kid).toBe(decodeProtectedHeader(fromB).kid);
  await expect(jwtVerify(fromA, createLocalJWKSet(await jwksOf(b)), { issuer: ISSUER })).resolves.toBeDefined();
  await expect(jwtVerify(fromB, createLocalJWKSet(await jwksOf(a)), { issuer: ISSUER })).resolves.toBeDefined();

  // A rotation on a, served by b within a second.
  const rotate = await fetch(`${a.url}/admin/v1/keys/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${fromA}` } });
  expect(rotate.status).toBe(200);
  const rotated = (await rotate.json()) as { active: string; next: string; retired: string };
  const started = Date.now();
  let servedBy: string | undefined;
  while (Date.now() - started < 1000) {
    servedBy = decodeProtectedHeader(await token(b)).kid;
    if (servedBy === rotated.active) break;
  }
  const took = Date.now() - started;
  expect(servedBy).toBe(rotated.active);
  expect(took).toBeLessThan(1000);
  const [ja, jb] = [await jwksOf(a), await jwksOf(b)];
  expect(jb.etag).toBe(ja.etag);
  expect(jb.keys.map((k) => k.kid).sort()).toEqual([rotated.active, rotated.next, rotated.retired].sort());
  // The token b signed with the new key verifies against a's JWKS, and the older one against b's.
  await expect(jwtVerify(await token(b), createLocalJWKSet(ja), { issuer: ISSUER })).resolves.toBeDefined();
  await expect(jwtVerify(fromA, createLocalJWKSet(jb), { issuer: ISSUER })).resolves.toBeDefined();
  // GET /admin/v1/keys on b lists the same keys.
  const listed = (await (await fetch(`${b.url}/admin/v1/keys`, { headers: { Authorization: `Bearer ${await token(b)}` } })).json()) as { items: { kid: string; state: string }[] };
  expect(listed.items.find((k) => k.kid === rotated.active)!.state).toBe('active');

  // The keys dirs stay empty: keys live in the store only.
  for (const name of ['a', 'b']) expect((await readdir(path.join(dir, name)).catch(() => [])).filter((f) => f.endsWith('.json'))).toEqual([]);

  // Nothing under the prefix holds a PEM or a JWK private member, whatever its type.
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    names.push(...batch);
  } while (cursor !== '0');
  expect(names).toContain(`${prefix}signing-keys:{sk}`);
  for (const name of names) {
    // Read by type, not DUMP: DUMP may LZF-compress a value and hide what it holds.
    const type = await redis.type(name);
    // Gone since the scan (a lock released, a short-lived key expired): it holds nothing now.
    if (type === 'none') continue;
    const value =
      type === 'string' ? await redis.get(name)
      : type === 'hash' ? await redis.hgetall(name)
      : type === 'list' ? await redis.lrange(name, 0, -1)
      : type === 'set' ? await redis.smembers(name)
      : type === 'zset' ? await redis.zrange(name, 0, -1)
      : type === 'stream' ? await redis.xrange(name, '-', '+')
      : `unexpected type ${type}`;
    expect(JSON.stringify(value)).not.toMatch(/PRIVATE KEY|BEGIN|\\"d\\"\s*:|"d"\s*:|unexpected type/);
  }
  console.log(`keys in the store: a rotation on one process was served by the other after ${took} ms`);
}, 60_000);
