// Redis memory per live refresh token and per API token: N of each created
// in-process with Tessera's own built store and services (dist/), under a
// prefix of their own, measured as the INFO used_memory delta / N and
// cross-checked with MEMORY USAGE of the keys; then deleted.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { deletePrefix, usedMemory } from './redis.mjs';

const dist = (p) => import(pathToFileURL(path.resolve('dist', p)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256Hex = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const SAMPLE = 1000;

/** Runs `fn(i)` for i < n with `parallel` calls in flight. */
export async function parallelFor(n, parallel, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

async function memoryUsage(redis, keys) {
  const p = redis.pipeline();
  for (const k of keys) p.memory('USAGE', k, 'SAMPLES', '0');
  return (await p.exec()).reduce((sum, [err, v]) => sum + (err ? 0 : Number(v ?? 0)), 0);
}

async function settledMemory(redis) {
  await sleep(300);
  return usedMemory(redis);
}

export async function refreshTokenMemory(redis, url, prefix, n) {
  const { connectRedisStore } = await dist('store/redis-store.js');
  const { RefreshTokenService } = await dist('core/tokens/refresh-tokens.js');
  const store = await connectRedisStore({ url, prefix });
  const refresh = new RefreshTokenService(store, 2_592_000, 10_000);
  const sample = [];
  try {
    const before = await settledMemory(redis);
    await parallelFor(n, 200, async (i) => {
      // As the authorization-code grant leaves it: a family, its live token, and the id of the access token issued with it.
      const { token, family } = await refresh.startFamily({ clientId: 'bench-client', userId: 'usr_benchmemoryuser000000', scopes: ['orders:read', 'offline_access'], authTime: Math.floor(Date.now() / 1000) });
      await store.refreshTokens.addAccessToken(family.family_id, { jti: crypto.randomUUID(), expires_at: Date.now() + 600_000 });
      if (i < SAMPLE) sample.push({ token, family });
    });
    const after = await settledMemory(redis);
    // One key per family (the live token's hash in it); the user's session index is shared by their families.
    // (the family id, a UUID, in its 22-character base64url form, as the store names the key)
    const rf = (f) => `${prefix}rf:{${Buffer.from(f.family_id.replace(/-/g, ''), 'hex').toString('base64url')}}`;
    const breakdown = { rf: (await memoryUsage(redis, sample.map((s) => rf(s.family)))) / sample.length };
    breakdown['uf (share)'] = (await memoryUsage(redis, [`${prefix}uf:usr_benchmemoryuser000000`])) / n;
    // One rotation each: no record per consumed token (reuse is detected through the family); the family hash grows by the live token's time and the new access-token id.
    await parallelFor(sample.length, 50, async (i) => {
      const s = sample[i];
      await refresh.rotate(s.token, 'bench-client', ['orders:read', 'offline_access'], { jti: crypto.randomUUID(), expires_at: Date.now() + 600_000 });
    });
    const consumed = (await memoryUsage(redis, sample.map((s) => rf(s.family)))) / sample.length - breakdown.rf;
    return {
      label: 'live refresh token (its family hash with 1 access-token id, as the authorization-code grant leaves it, and its entry in the user\'s session index)',
      n, bytesPerToken: (after - before) / n, memoryUsagePerToken: Object.values(breakdown).reduce((a, b) => a + b, 0),
      breakdown, consumedRecordBytes: consumed, usedMemoryBefore: before, usedMemoryAfter: after,
    };
  } finally {
    await store.close();
    await deletePrefix(redis, prefix);
  }
}

async function apiTokenMemory(redis, url, prefix, n) {
  const { connectRedisStore } = await dist('store/redis-store.js');
  const { UserService } = await dist('core/users/user-service.js');
  const { ApiTokenService } = await dist('core/api-tokens/api-token-service.js');
  const { PasswordHasher, MIN_PASSWORD_HASH_COST } = await dist('core/crypto/password-hasher.js');
  const store = await connectRedisStore({ url, prefix });
  // The cheapest accepted cost: one user is created, and its hash is not what is measured.
  const users = new UserService(store, new PasswordHasher({ cost: MIN_PASSWORD_HASH_COST, concurrency: 1 }));
  // The audit events of creation are not the token's storage: a sink that drops them.
  const apiTokens = new ApiTokenService(store, users, { record() {} }, { maxTtl: 7_776_000, defaultTtl: 2_592_000, retention: 2_592_000, derivedTokenLifetime: 660 });
  const ids = [];
  try {
    await users.putRole('bench-mem', ['orders:read']);
    const user = await users.create({ username: 'bench-mem-user', password: 'bench-mem-password-0123', roles: ['bench-mem'] });
    const before = await settledMemory(redis);
    await parallelFor(n, 200, async (i) => {
      const { record, token } = await apiTokens.create({ user: user.id, name: `bench ${i}`, scopes: ['orders:read'], expires_in: 2_592_000 }, { actor: { type: 'client', id: 'bench' } });
      if (i < SAMPLE) ids.push({ id: record.id, hash: sha256Hex(token) });
    });
    const after = await settledMemory(redis);
    const breakdown = {
      'tsp (record)': (await memoryUsage(redis, ids.map((t) => `${prefix}tsp:${t.id}`))) / ids.length,
      'tsp-h (hash index)': (await memoryUsage(redis, ids.map((t) => `${prefix}tsp-h:${t.hash}`))) / ids.length,
      'tsp-ids/tsp-u/tsp-purge (share)': (await memoryUsage(redis, [`${prefix}tsp-ids`, `${prefix}tsp-u:${user.id}`, `${prefix}tsp-purge`])) / n,
    };
    return {
      label: 'API token (record, hash index, its entries in the id, owner and purge indexes)',
      n, bytesPerToken: (after - before) / n, memoryUsagePerToken: Object.values(breakdown).reduce((a, b) => a + b, 0),
      breakdown, usedMemoryBefore: before, usedMemoryAfter: after,
    };
  } finally {
    await store.close();
    await deletePrefix(redis, prefix);
  }
}

export async function measureMemory({ redis, url, prefix, n, log }) {
  log(`memory: ${n.toLocaleString('en')} refresh tokens`);
  const refresh = await refreshTokenMemory(redis, url, `${prefix}mem-rt:`, n);
  log(`memory: ${n.toLocaleString('en')} API tokens`);
  const api = await apiTokenMemory(redis, url, `${prefix}mem-api:`, n);
  return { refresh, apiToken: api, note: 'INFO used_memory is Redis-wide: other clients writing meanwhile add noise; MEMORY USAGE excludes the expires-dict and hash-table overhead' };
}
