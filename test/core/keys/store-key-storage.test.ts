/**
 * Signing keys kept in Redis (TESSERA_KEYS_STORAGE=store) by two key
 * managers standing for two instances on different hosts: they share the
 * active key, a rotation on one is served by the other at once (pub/sub),
 * Redis holds no private key material in the clear, and a wrong passphrase
 * stops the start.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '../../../src/core/errors.js';
import { KeyManager } from '../../../src/core/keys/key-manager.js';
import { StoreKeyStorage } from '../../../src/core/keys/store-key-storage.js';
import { connectRedisStore, type RedisStore } from '../../../src/store/redis-store.js';
import { deleteKeysUnder } from '../../store/redis-keys.js';
import { testRedisPrefix, testRedisUrl } from '../../support/redis.js';

const PASSPHRASE = 'a passphrase of the keys store';
const MINUTE = 60_000;
let admin: Redis;
let prefix: string;
const stores: RedisStore[] = [];
const managers: KeyManager[] = [];

beforeAll(() => { admin = new Redis(testRedisUrl()); });
afterAll(async () => { await admin.quit(); });
beforeEach(() => { prefix = testRedisPrefix('store-keys'); });
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await deleteKeysUnder(admin, prefix);
});

async function instance(passphrase = PASSPHRASE, pollIntervalMs = 0): Promise<KeyManager> {
  const store = await connectRedisStore({ url: testRedisUrl(), prefix });
  stores.push(store);
  const keys = await KeyManager.open({
    storage: new StoreKeyStorage(store.signingKeys, passphrase), alg: 'EdDSA', publishRetiredForMs: 10 * MINUTE, pollIntervalMs,
  });
  managers.push(keys);
  return keys;
}

async function until(check: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

test('two instances share the active key; a rotation on one is served by the other within a second, without polling', async () => {
  const a = await instance();
  const b = await instance();
  expect(b.signingKey().kid).toBe(a.signingKey().kid);
  expect(b.jwks().body).toBe(a.jwks().body);

  const rotated = await a.rotate();
  const took = await until(() => b.signingKey().kid === rotated.active && b.jwks().etag === a.jwks().etag, 1000);
  expect(took).toBeLessThan(1000);
  expect(b.verificationKey(rotated.next)).toBeDefined();
});

test('concurrent rotations on two instances are serialised by the lock in the store: one active key, every key retired once', async () => {
  const a = await instance();
  const b = await instance();
  const results = await Promise.all([a.rotate(), b.rotate(), a.rotate(), b.rotate()]);
  await a.reload();
  const listed = a.list();
  expect(listed.filter((k) => k.state === 'active')).toHaveLength(1);
  expect(new Set(results.map((r) => r.active)).size).toBe(4);
  expect(listed.filter((k) => k.state === 'retired')).toHaveLength(4);
});

test('Redis holds no private key material in the clear: no PEM, no JWK "d"', async () => {
  const a = await instance();
  await a.rotate();
  const names = await admin.keys(`${prefix}*`);
  expect(names.sort()).toEqual([`${prefix}signing-keys:{sk}`]);
  const dump = JSON.stringify(await admin.hgetall(`${prefix}signing-keys:{sk}`));
  expect(dump).not.toMatch(/PRIVATE KEY|BEGIN|"d"\s*:/);
  // Each private key's DER (base64 of its PKCS#8 body) appears nowhere either.
  for (const k of a.list()) {
    expect(dump).toContain(k.kid);
  }
  const pem = (a.signingKey().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).split('\n')[1]!;
  expect(dump).not.toContain(pem);
  const der = (a.signingKey().privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer);
  expect(dump).not.toContain(der.toString('base64'));
  expect(dump).not.toContain(der.toString('base64url'));
  expect(dump).not.toContain(der.subarray(-32).toString('base64url').slice(0, 40));
});

test('a wrong passphrase stops the start, naming the key', async () => {
  const a = await instance();
  await expect(instance('another passphrase entirely')).rejects.toThrow(ConfigError);
  await expect(instance('another passphrase entirely')).rejects.toThrow(`TESSERA_KEYS_PASSPHRASE does not open signing key ${a.signingKey().kid} in the store`);
});

test('a record moved to another kid is refused: the kid is sealed with the key', async () => {
  const a = await instance();
  const hash = `${prefix}signing-keys:{sk}`;
  const active = a.signingKey().kid;
  const next = a.list().find((k) => k.state === 'next')!.kid;
  await admin.hset(hash, `k:${next}`, (await admin.hget(hash, `k:${active}`))!.replace(`"kid":"${active}"`, `"kid":"${next}"`));
  await expect(a.reload()).rejects.toThrow(`signing key ${next} in the store was altered outside Tessera`);
  expect(a.signingKey().kid).toBe(active);
});

test('a record whose state was changed in Redis is refused: state and times are sealed with the key', async () => {
  const a = await instance();
  const hash = `${prefix}signing-keys:{sk}`;
  const next = a.list().find((k) => k.state === 'next')!.kid;
  const record = (await admin.hget(hash, `k:${next}`))!;
  await admin.hset(hash, `k:${next}`, record.replace('"state":"next"', '"state":"active"').replace('"activated_at":null', `"activated_at":"${new Date().toISOString()}"`));
  await expect(a.reload()).rejects.toThrow(`signing key ${next} in the store was altered outside Tessera`);
  expect(a.signingKey().kid).not.toBe(next);
});

test('polling is the fallback: a change is picked up by its version when no announcement came', async () => {
  const a = await instance(PASSPHRASE, 50);
  const storeB = await connectRedisStore({ url: testRedisUrl(), prefix });
  stores.push(storeB);
  const quiet = new StoreKeyStorage(storeB.signingKeys, PASSPHRASE);
  quiet.announce = async () => {};
  const b = await KeyManager.open({ storage: quiet, alg: 'EdDSA', publishRetiredForMs: 10 * MINUTE, pollIntervalMs: 0 });
  managers.push(b);
  const rotated = await b.rotate();
  await until(() => a.signingKey().kid === rotated.active, 1000);
});
