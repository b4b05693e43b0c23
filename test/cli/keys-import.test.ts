/**
 * `tessera keys import`: a keys dir (encrypted key files, with next, active
 * and retired keys) moved into the store keeps every kid, state and time,
 * and the key that signed before signs after; a second import, a missing
 * Redis or a short passphrase are refused with exit code 2.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { keysImportCommand } from '../../src/cli/keys-import.js';
import { KeyManager } from '../../src/core/keys/key-manager.js';
import { StoreKeyStorage } from '../../src/core/keys/store-key-storage.js';
import { connectRedisStore } from '../../src/store/redis-store.js';
import { deleteKeysUnder } from '../store/redis-keys.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';

const PASSPHRASE = 'the passphrase of the signing keys';
const MINUTE = 60_000;
let dir: string;
let prefix: string;
let admin: Redis;
beforeAll(() => { admin = new Redis(testRedisUrl()); });
afterAll(async () => { await admin.quit(); });
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-import-')); prefix = testRedisPrefix('keys-import'); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); await deleteKeysUnder(admin, prefix); });

async function run(env: Record<string, string>, json = true) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await keysImportCommand({ dir, json, env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('the keys of a dir, their states and times, move into the store; the same key signs', async () => {
  const fromDir = await KeyManager.open({ dir, passphrase: PASSPHRASE, alg: 'ES256', publishRetiredForMs: 10 * MINUTE, pollIntervalMs: 0 });
  await fromDir.rotate();
  const before = fromDir.list();
  await fromDir.close();
  expect(before.map((k) => k.state).sort()).toEqual(['active', 'next', 'retired']);

  const env = { REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_KEYS_PASSPHRASE: PASSPHRASE };
  const done = await run(env);
  expect(done).toMatchObject({ code: 0, err: [] });
  expect(JSON.parse(done.out[0]!).imported.sort()).toEqual(before.map((k) => k.kid).sort());

  const store = await connectRedisStore({ url: testRedisUrl(), prefix });
  const inStore = await KeyManager.open({
    storage: new StoreKeyStorage(store.signingKeys, PASSPHRASE), alg: 'ES256', publishRetiredForMs: 10 * MINUTE, pollIntervalMs: 0,
  });
  try {
    expect(inStore.list()).toEqual(before);
    expect(inStore.signingKey().kid).toBe(before.find((k) => k.state === 'active')!.kid);
  } finally {
    await inStore.close();
    await store.close();
  }

  // Once is enough: a store that holds keys is not imported into.
  const again = await run(env, false);
  expect(again.code).toBe(2);
  expect(again.err).toEqual(['error: the signing keys in the store hold 3 key(s) already: import only into an empty store']);
});

test('without Redis, with a short passphrase or a wrong one, nothing is imported (exit 2)', async () => {
  const fromDir = await KeyManager.open({ dir, passphrase: PASSPHRASE, alg: 'EdDSA', publishRetiredForMs: 10 * MINUTE, pollIntervalMs: 0 });
  await fromDir.close();
  expect(await run({ TESSERA_KEYS_PASSPHRASE: PASSPHRASE }, false)).toEqual({
    code: 2, out: [], err: ['error: keys can be imported only into Redis: set REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS'],
  });
  expect((await run({ REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_KEYS_PASSPHRASE: 'short' }, false)).code).toBe(2);
  const wrong = await run({ REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_KEYS_PASSPHRASE: 'not the passphrase of these keys' }, false);
  expect(wrong.code).toBe(2);
  expect(wrong.err.join('\n')).toMatch(/TESSERA_KEYS_PASSPHRASE does not decrypt key file/);
  expect(await admin.keys(`${prefix}*`)).toEqual([]);
});
