import { jest } from '@jest/globals';
import { REVOCATION_MARGIN_MS } from '../../src/core/tokens/clock-tolerance.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { connectRedisStore, RedisStore } from '../../src/store/redis-store.js';
import type { RefreshFamilyRecord } from '../../src/store/store.js';
import { RedisKeys, slotOf, STREAM_SHARDS } from '../../src/store/redis/keys.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { freePort, startFakeRedis } from './fake-redis.js';
import { deleteKeysUnder, globEscape, scanKeys } from './redis-keys.js';
import { describeStoreContract, sampleClient, sleep } from './store-contract.js';
import { describeUsersContract } from './users-contract.js';
import { describeGrantRecordsContract, family } from './grants-contract.js';
import { describeApiTokensContract } from './api-tokens-contract.js';
import { describeAuditContract } from './audit-contract.js';
import { describeRateLimitsContract } from './rate-limits-contract.js';
import { describeRevocationFeedContract } from './revocation-feed-contract.js';
import { describeUsageContract } from './usage-contract.js';
import { describeWebhooksContract } from './webhooks-contract.js';
import { describeCountersContract } from './counters-contract.js';
import { describeJobsContract } from './jobs-contract.js';
import { describeSigningKeysContract } from './signing-keys-contract.js';
import { describeBaselinesContract } from './baselines-contract.js';
import { describeReplayContract } from './replay-contract.js';
import { describeTrustPoliciesContract, samplePolicy } from './trust-policies-contract.js';
import { describeRecordCaches, killByName } from './record-cache-contract.js';

/** A second connection of the tests' own, to look at what the store wrote. */
let admin: Redis;

/** A refresh family as an earlier version wrote it (times in a, t and e), then `rest` (its live hash, access-token fields...); its key. */
async function writeEarlierFamily(prefix: string, f: RefreshFamilyRecord, ...rest: string[]): Promise<string> {
  const key = `${prefix}rf:{${compactFamilyId(f.family_id)}}`;
  await admin.hset(key, 'c', f.client_id, 'u', f.user_id, 's', f.scopes.join(' '), 'a', String(f.auth_time), 't', String(f.created_at), 'e', String(f.expires_at), ...rest);
  await admin.pexpireat(key, f.expires_at);
  return key;
}
/** Every prefix a test used, so afterAll removes exactly this suite's keys. */
const prefixes: string[] = [];

/** A family's key names hold its id as 22 base64url characters when it is a UUID (refresh-tokens.ts), as it is otherwise. */
const compactFamilyId = (id: string): string =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url') : id;

function newPrefix(label: string): string {
  const prefix = testRedisPrefix(label);
  prefixes.push(prefix);
  return prefix;
}

beforeAll(() => {
  admin = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await deleteKeysUnder(admin, ...prefixes);
  await admin.quit();
});

describeStoreContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('contract') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeUsersContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('users') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeGrantRecordsContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('grants') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeApiTokensContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('api-tokens') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeAuditContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('audit') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeRateLimitsContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('rate-limits') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

test('a rate-limit counter key expires on its own', async () => {
  const store = await connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('rl-ttl') });
  try {
    await store.rateLimits.take('k', { requests: 100, perSeconds: 60 }, Date.now());
    const ttl = await admin.pttl(`${store.prefix}rl:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
  } finally {
    await store.close();
  }
});

describeRevocationFeedContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('revfeed') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeUsageContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('usage') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeWebhooksContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('webhooks') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeReplayContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('replay') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeTrustPoliciesContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('trust-policies') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeCountersContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('counters') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeJobsContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('jobs') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describeBaselinesContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('baselines') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describe('RedisStore refresh-token layout', () => {
  test('a family with 50 access-token ids stays a compact listpack hash (every field under 64 bytes)', async () => {
    const prefix = newPrefix('rt-compact');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const f = family({ expires_at: Date.now() + 60_000, scopes: ['orders:read', 'orders:write', 'offline_access'] });
      const live = 'a'.repeat(43);
      await store.refreshTokens.createFamily(f, { token_hash: live, family_id: f.family_id, scopes: f.scopes, created_at: f.created_at });
      for (let i = 0; i < 60; i++) await store.refreshTokens.addAccessToken(f.family_id, { jti: crypto.randomUUID(), expires_at: Date.now() + 600_000 });
      // listpack since Redis 7, ziplist in 6.2: both the compact encoding, not 'hashtable'.
      expect(['listpack', 'ziplist']).toContain(await admin.object('ENCODING', `${prefix}rf:{${f.family_id}}`));
      // The newest 50 ids are kept, the older ones deleted: c u s m (the times) l n, and 50 access-token fields.
      expect(await admin.hlen(`${prefix}rf:{${f.family_id}}`)).toBe(6 + 50);
    } finally {
      await store.close();
    }
  });

  test('one key per family (no record per token) expiring at the family end; the grace entry within the window', async () => {
    const prefix = newPrefix('rt-layout');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const f = family({ expires_at: Date.now() + 60_000 });
      await store.refreshTokens.createFamily(f, { token_hash: 'h1', family_id: f.family_id, scopes: ['a'], created_at: Date.now() });
      await store.refreshTokens.addAccessToken(f.family_id, { jti: 'j', expires_at: 1 });
      await store.refreshTokens.rotate({ familyId: f.family_id, tokenHash: 'h1', clientId: 'app', successor: { token_hash: 'h2', family_id: f.family_id, scopes: ['a'], created_at: Date.now() }, successorSealed: 's', nowMs: Date.now(), graceMs: 5_000 });
      const keys = (await scanKeys(admin, `${globEscape(prefix)}*`)).sort();
      // The live token's hash and the access-token ids live in the family hash; the family and its grace entry share one slot (the family's tag). The user's sessions index is one key per user.
      expect(keys).toEqual([`${prefix}rf:{${f.family_id}}`, `${prefix}rg:{${f.family_id}}`, `${prefix}uf:${f.user_id}`].sort());
      expect(slotOf(`${prefix}rg:{${f.family_id}}`)).toBe(slotOf(`${prefix}rf:{${f.family_id}}`));
      for (const k of keys) {
        const ttl = await admin.pttl(k);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(k.includes('rg:') ? 5_000 : 60_000);
      }
    } finally {
      await store.close();
    }
  });

  test('a family written by an earlier version (its times in a, t, e; x<i> access-token fields; a 128-bit live hash) keeps working', async () => {
    const prefix = newPrefix('rt-legacy-family');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const now = Date.now();
      const f = family({ family_id: crypto.randomUUID(), created_at: now, expires_at: now + 60_000, auth_time: Math.floor(now / 1000) - 30 });
      const compact = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
      const [live, next, other] = ['A', 'B', 'C'].map((c) => `${c.repeat(21)}w`);
      const [j1, j2] = [crypto.randomUUID(), crypto.randomUUID()];
      await writeEarlierFamily(prefix, f, 'l', live!, 'n', '2', 'x1', `~${compact(j1)}.${(now + 1_000).toString(36)}`, 'x2', `legacy-jti ${now + 2_000}`);
      expect(await store.refreshTokens.get(f.family_id, live!, Date.now())).toEqual({ token: { token_hash: live, family_id: f.family_id, scopes: f.scopes, created_at: f.created_at }, family: f });
      const rotation = { familyId: f.family_id, clientId: 'app', successorSealed: 's', graceMs: 0 };
      expect(await store.refreshTokens.rotate({ ...rotation, tokenHash: live!, successor: { token_hash: next!, family_id: f.family_id, scopes: f.scopes, created_at: Date.now() }, nowMs: Date.now(), accessToken: { jti: j2, expires_at: now + 3_000 } }))
        .toEqual({ outcome: 'rotated', family: f });
      expect((await store.refreshTokens.get(f.family_id, next!, Date.now()))?.token.token_hash).toBe(next);
      expect(await store.refreshTokens.rotate({ ...rotation, tokenHash: other!, successor: { token_hash: live!, family_id: f.family_id, scopes: f.scopes, created_at: Date.now() }, nowMs: Date.now() }))
        .toEqual({ outcome: 'reuse', family: f, access_tokens: [{ jti: j2, expires_at: now + 3_000 }, { jti: 'legacy-jti', expires_at: now + 2_000 }, { jti: j1, expires_at: now + 1_000 }] });
      expect(await store.refreshTokens.get(f.family_id, next!, Date.now())).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('a family of an earlier version with one access token and no count: a rotation adds the second after it, and reuse revokes both', async () => {
    const prefix = newPrefix('rt-legacy-one');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const now = Date.now();
      const f = family({ family_id: crypto.randomUUID(), created_at: now, expires_at: now + 60_000, auth_time: Math.floor(now / 1000) - 30 });
      const [live, next, other] = ['A', 'B', 'C'].map((c) => `${c.repeat(21)}w`);
      const j2 = crypto.randomUUID();
      const key = await writeEarlierFamily(prefix, f, 'l', live!, 'x1', `first-jti ${now + 1_000}`);
      const rotation = { familyId: f.family_id, clientId: 'app', successorSealed: 's', graceMs: 0 };
      expect(await store.refreshTokens.rotate({ ...rotation, tokenHash: live!, successor: { token_hash: next!, family_id: f.family_id, scopes: f.scopes, created_at: Date.now() }, nowMs: Date.now(), accessToken: { jti: j2, expires_at: now + 3_000 } }))
        .toEqual({ outcome: 'rotated', family: f });
      expect(await admin.hmget(key, 'n', 'x1', '1', '2')).toEqual(['2', `first-jti ${now + 1_000}`, null, null]);
      expect(await store.refreshTokens.rotate({ ...rotation, tokenHash: other!, successor: { token_hash: live!, family_id: f.family_id, scopes: f.scopes, created_at: Date.now() }, nowMs: Date.now() }))
        .toEqual({ outcome: 'reuse', family: f, access_tokens: [{ jti: j2, expires_at: now + 3_000 }, { jti: 'first-jti', expires_at: now + 1_000 }] });
    } finally {
      await store.close();
    }
  });

  test('a family of an earlier version takes an access token added outside a rotation, after its own, and not once revoked', async () => {
    const prefix = newPrefix('rt-legacy-add');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const now = Date.now();
      const f = family({ family_id: crypto.randomUUID(), created_at: now, expires_at: now + 60_000, auth_time: Math.floor(now / 1000) - 30 });
      const key = await writeEarlierFamily(prefix, f, 'l', 'A'.repeat(22), 'x1', `first-jti ${now + 1_000}`);
      expect(await store.refreshTokens.addAccessToken(f.family_id, { jti: 'added-jti', expires_at: now + 2_000 })).toBe(true);
      expect(await admin.hmget(key, 'n', 'x2', '1', '2')).toEqual(['2', `added-jti ${now + 2_000}`, null, null]);
      await admin.hset(key, 'r', '1');
      expect(await store.refreshTokens.addAccessToken(f.family_id, { jti: 'late-jti', expires_at: now + 3_000 })).toBe(false);
      expect(await admin.hget(key, 'x3')).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('a family keeps its times in one field, the first 96 bits of its live token\'s hash and its access-token ids relative to its start; another token of the family is reuse', async () => {
    const prefix = newPrefix('rt-compact-fields');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const now = Date.now();
      const f = family({ family_id: crypto.randomUUID(), created_at: now, expires_at: now + 60_000, auth_time: Math.floor(now / 1000) - 45 });
      const key = `${prefix}rf:{${compactFamilyId(f.family_id)}}`;
      const hash = `${'Q'.repeat(16)}abcdef`;
      const jti = crypto.randomUUID();
      await store.refreshTokens.createFamily(f, { token_hash: hash, family_id: f.family_id, scopes: f.scopes, created_at: f.created_at });
      expect(await store.refreshTokens.addAccessToken(f.family_id, { jti, expires_at: now + 600_000 })).toBe(true);
      expect(await admin.hgetall(key)).toEqual({
        c: f.client_id, u: f.user_id, s: f.scopes.join(' '), m: `${now.toString(36)} ${(60_000).toString(36)} ${(45).toString(36)}`, l: 'Q'.repeat(16),
        1: `${Buffer.from(jti.replace(/-/g, ''), 'hex').toString('base64url')}${(600_000).toString(36)}`,
      });
      expect((await store.refreshTokens.get(f.family_id, hash, Date.now()))?.family).toEqual(f);
      // Another hash (another token of the family) is not the live token, and presenting it is reuse.
      expect(await store.refreshTokens.get(f.family_id, `${'R'.repeat(16)}abcdef`, Date.now())).toBeNull();
      expect(await store.refreshTokens.rotate({
        familyId: f.family_id, tokenHash: `${'R'.repeat(16)}abcdef`, clientId: 'app', successor: { token_hash: 'x', family_id: f.family_id, scopes: f.scopes, created_at: Date.now() },
        successorSealed: 's', nowMs: Date.now(), graceMs: 0,
      })).toEqual({ outcome: 'reuse', family: f, access_tokens: [{ jti, expires_at: now + 600_000 }] });
      expect(await store.refreshTokens.get(f.family_id, hash, Date.now())).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('rotations keep the newest 50 access-token ids, each written with the live token in one step', async () => {
    const prefix = newPrefix('rt-rotate-ats');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const now = Date.now();
      const f = family({ family_id: crypto.randomUUID(), created_at: now, expires_at: now + 60_000 });
      await store.refreshTokens.createFamily(f, { token_hash: 'h0', family_id: f.family_id, scopes: f.scopes, created_at: now });
      const ats = Array.from({ length: 55 }, (_, i) => ({ jti: i % 2 ? crypto.randomUUID() : `jti-${i}`, expires_at: now + 600_000 + i }));
      for (let i = 0; i < ats.length; i++) {
        const outcome = await store.refreshTokens.rotate({
          familyId: f.family_id, tokenHash: `h${i}`, clientId: 'app', successor: { token_hash: `h${i + 1}`, family_id: f.family_id, scopes: f.scopes, created_at: Date.now() },
          successorSealed: 's', nowMs: Date.now(), graceMs: 0, accessToken: ats[i],
        });
        expect(outcome).toEqual({ outcome: 'rotated', family: f });
      }
      const key = `${prefix}rf:{${compactFamilyId(f.family_id)}}`;
      // c u s m l lc n, and the newest 50 (no ls: the live token has the family's scopes).
      expect(await admin.hlen(key)).toBe(7 + 50);
      expect(await admin.hget(key, 'n')).toBe('55');
      expect(['listpack', 'ziplist']).toContain(await admin.object('ENCODING', key));
      expect(await store.refreshTokens.revokeFamily(f.family_id)).toEqual(ats.slice(5).reverse());
    } finally {
      await store.close();
    }
  });

  test("the user's sessions index is one string of about 30 bytes a family, expiring with the user's last family", async () => {
    const prefix = newPrefix('rt-index');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const user = `usr_idx${Date.now()}`;
      const first = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + 60_000 });
      const last = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + 90_000 });
      for (const f of [first, last]) await store.refreshTokens.createFamily(f, { token_hash: 'h', family_id: f.family_id, scopes: ['a'], created_at: f.created_at });
      const index = `${prefix}uf:${user}`;
      expect(await admin.type(index)).toBe('string');
      // The rewrite length, then ' <22 characters>:<end s, base 36>' per family.
      expect(await admin.get(index)).toMatch(/^4096( [A-Za-z0-9_-]{22}:[0-9a-z]{6,7}){2}$/);
      expect(await admin.pttl(index)).toBeGreaterThan(60_000);
      expect(await admin.pttl(index)).toBeLessThanOrEqual(90_000);
      expect((await store.refreshTokens.listFamilies(user, Date.now(), 10)).map((s) => s.family)).toEqual([last, first]);
    } finally {
      await store.close();
    }
  });

  test('ended families leave the sessions index when it reaches its rewrite length, without a listing', async () => {
    const prefix = newPrefix('rt-prune');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const user = `usr_prune${Date.now()}`;
      const start = (expiresIn: number) => {
        const f = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + expiresIn });
        return store.refreshTokens.createFamily(f, { token_hash: 'h', family_id: f.family_id, scopes: ['a'], created_at: f.created_at }).then(() => f);
      };
      // 130 entries of 30 bytes: under the first rewrite length (4096).
      for (let i = 0; i < 130; i++) await start(1_000);
      const index = `${prefix}uf:${user}`;
      expect(await admin.strlen(index)).toBe(4 + 130 * 30);
      await sleep(2_100);
      const live = [];
      for (let i = 0; i < 10; i++) live.push(await start(60_000));
      // The append that reached 4096 bytes rewrote the index with the live entries only (140 entries otherwise).
      const after = (await admin.get(index))!;
      expect(after.length).toBe(4 + 10 * 30);
      expect(after).toMatch(/^4096( [A-Za-z0-9_-]{22}:[0-9a-z]{6,7})+$/);
      expect((await store.refreshTokens.listFamilies(user, Date.now(), 100)).map((s) => s.family.family_id).sort()).toEqual(live.map((f) => f.family_id).sort());
    } finally {
      await store.close();
    }
  });

  test('a sessions index kept as a sorted set by an earlier version is still listed and read, and becomes the string', async () => {
    const prefix = newPrefix('rt-legacy-index');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const user = `usr_old${Date.now()}`;
      const kept = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + 60_000 });
      const revoked = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + 60_000 });
      for (const f of [kept, revoked]) await store.refreshTokens.createFamily(f, { token_hash: 'h', family_id: f.family_id, scopes: ['a'], created_at: f.created_at });
      await store.refreshTokens.revokeFamily(revoked.family_id);
      // As an earlier version left it: the family ids scored by their end (ms), and one that has ended.
      const index = `${prefix}uf:${user}`;
      await admin.del(index);
      await admin.zadd(index, kept.expires_at, kept.family_id, revoked.expires_at, revoked.family_id, Date.now() - 1, crypto.randomUUID());
      await admin.pexpireat(index, kept.expires_at);
      expect(await store.refreshTokens.listFamilies(user, Date.now(), 10)).toEqual([{ family: kept, last_refreshed_at: null }]);
      expect(await admin.type(index)).toBe('string');
      // The revoked family left at the listing, the ended one when the set was turned into the string.
      expect(await admin.get(index)).toBe(`4096 ${kept.family_id}:${Math.ceil(kept.expires_at / 1000).toString(36)}`);
      expect(await admin.pttl(index)).toBeGreaterThan(50_000);
      // A family started after the upgrade joins the same index.
      const next = family({ family_id: crypto.randomUUID(), user_id: user, expires_at: Date.now() + 70_000 });
      await store.refreshTokens.createFamily(next, { token_hash: 'h', family_id: next.family_id, scopes: ['a'], created_at: next.created_at });
      expect((await store.refreshTokens.listFamilies(user, Date.now(), 10)).map((s) => s.family.family_id)).toEqual([next.family_id, kept.family_id]);
    } finally {
      await store.close();
    }
  });
});

/** Resolves how long `promise` took to settle and how it settled. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  const error = await promise.then(() => undefined, (err: unknown) => err);
  return { ms: Date.now() - start, error };
}

describe('RedisStore key layout', () => {
  let store: RedisStore;
  let prefix: string;
  beforeEach(async () => {
    prefix = newPrefix('layout');
    store = await connectRedisStore({ url: testRedisUrl(), prefix });
  });
  afterEach(() => store.close());

  it('writes every key under its prefix, as documented', async () => {
    const tag = randomBytes(6).toString('hex');
    const [kept, dropped] = [`kept-${tag}`, `dropped-${tag}`];
    expect(await scanKeys(admin, `${globEscape(prefix)}*`)).toEqual([]);

    await store.clients.create(sampleClient(kept));
    await store.clients.create(sampleClient(dropped));
    await store.clients.replace(sampleClient(kept, { name: 'renamed' }));
    await store.clients.delete(dropped);
    await store.clients.list({ limit: 10 });
    await store.revocations.add(`live-${tag}`, Date.now() + 60_000);
    // Past exp and past every validator's clock tolerance: no key at all.
    await store.revocations.add(`dead-${tag}`, Date.now() - REVOCATION_MARGIN_MS - 1);

    const written = await scanKeys(admin, `${globEscape(prefix)}*`);
    // The feed record went to this store's shard of the revocation feed.
    const feedShards = Array.from({ length: STREAM_SHARDS }, (_, i) => new RedisKeys(prefix).revocationFeedShard(i));
    const shard = written.find((k) => feedShards.includes(k));
    expect(shard).toBeDefined();
    expect(written).toEqual([`${prefix}client:${kept}`, `${prefix}clients`, shard!, `${prefix}revoked:live-${tag}`].sort());
    // Nothing of ours anywhere else in the database, e.g. a top-level client:* or revoked:*.
    const ours = await scanKeys(admin, `*${tag}*`);
    expect(ours.filter((key) => !key.startsWith(prefix))).toEqual([]);
    expect(await scanKeys(admin, `client:${kept}`)).toEqual([]);
    expect(await scanKeys(admin, `revoked:live-${tag}`)).toEqual([]);

    expect(JSON.parse((await admin.get(`${prefix}client:${kept}`))!)).toEqual(sampleClient(kept, { name: 'renamed' }));
    expect(await admin.type(`${prefix}clients`)).toBe('zset');
    expect(await admin.zrange(`${prefix}clients`, 0, -1, 'WITHSCORES')).toEqual([kept, '0']);
  });

  it('gives a revocation key a TTL that ends the largest clock tolerance after the token', async () => {
    await store.revocations.add('ttl-jti', Date.now() + 60_000);
    const ttl = await admin.pttl(`${prefix}revoked:ttl-jti`);
    expect(ttl).toBeGreaterThan(50_000 + REVOCATION_MARGIN_MS);
    expect(ttl).toBeLessThanOrEqual(60_000 + REVOCATION_MARGIN_MS);
  });

  it('keeps its data for the next process: a new store on the same prefix sees it', async () => {
    await store.clients.create(sampleClient('durable'));
    await store.revocations.add('durable-jti', Date.now() + 60_000);
    const next = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      await expect(next.clients.get('durable')).resolves.toEqual(sampleClient('durable'));
      await expect(next.revocations.has('durable-jti')).resolves.toBe(true);
    } finally {
      await next.close();
    }
  });

  it('keeps one-time identifiers hashed, with a TTL ending when the JWT does, and trust policies in a record, an index and an issuer set', async () => {
    await store.replay.claim('dpop:some-jti', Date.now() + 60_000);
    await store.trustPolicies.create(samplePolicy('gha'));
    const keys = (await scanKeys(admin, `${globEscape(prefix)}*`)).sort();
    expect(keys).toHaveLength(4);
    const jti = keys.find((k) => k.startsWith(`${prefix}jti:`))!;
    expect(jti.slice(prefix.length)).toMatch(/^jti:[A-Za-z0-9_-]{43}$/);
    expect(jti).not.toContain('some-jti');
    const ttl = await admin.pttl(jti);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(keys).toEqual(expect.arrayContaining([`${prefix}trust-policy:gha`, `${prefix}trust-policies`]));
    expect(keys.filter((k) => k.startsWith(`${prefix}trust-policies-iss:`))).toHaveLength(1);
  });

  it('does not see the keys of another prefix', async () => {
    await store.clients.create(sampleClient('mine'));
    const other = await connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('other') });
    try {
      await expect(other.clients.get('mine')).resolves.toBeNull();
      await expect(other.clients.list({ limit: 10 })).resolves.toEqual({ items: [], next_cursor: null });
    } finally {
      await other.close();
    }
  });
});

describe('RedisStore availability', () => {
  it('fails fast with StoreUnavailableError when nothing listens, and reports the error once', async () => {
    const errors: unknown[] = [];
    const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}`, prefix: newPrefix('down'), onError: (e) => errors.push(e) });
    try {
      const attempts: Promise<unknown>[] = [store.ping(), store.clients.get('a'), store.clients.list({ limit: 10 }), store.revocations.has('j')];
      for (const attempt of attempts) {
        const { ms, error } = await timed(attempt);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(ms).toBeLessThan(3_000);
      }
      // Still fast while ioredis keeps trying to reconnect in the background.
      await sleep(500);
      const { ms, error } = await timed(store.clients.create(sampleClient('a')));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(3_000);
      expect(errors).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('connectRedisStore gives up within the timeout, naming the URL without its password', async () => {
    const port = await freePort();
    const { ms, error } = await timed(
      connectRedisStore({ url: `redis://user:hunter2@127.0.0.1:${port}/0`, prefix: newPrefix('down'), readyTimeoutMs: 1_000 }),
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('hunter2');
    expect(ms).toBeLessThan(3_000);
  });

  it('fails fast when Redis accepts the connection but never answers', async () => {
    const fake = await startFakeRedis({ silent: true });
    const store = new RedisStore({ url: fake.url, prefix: newPrefix('silent') });
    try {
      await sleep(100);
      const { ms, error } = await timed(store.ping());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('times out a command on a connection that goes silent after connecting', async () => {
    const fake = await startFakeRedis();
    const store = await connectRedisStore({ url: fake.url, prefix: newPrefix('stall') });
    try {
      await expect(store.ping()).resolves.toBeUndefined();
      fake.silent = true;
      const { ms, error } = await timed(store.ping());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('refuses a Redis older than 6.2 at connect', async () => {
    const fake = await startFakeRedis({ version: '5.0.14' });
    try {
      await expect(connectRedisStore({ url: fake.url, prefix: newPrefix('old') })).rejects.toThrow(/version 5\.0\.14.*6\.2 or newer/);
    } finally {
      await fake.close();
    }
  });

  it('recovers by itself when its connection is killed', async () => {
    const name = `tessera-test-${randomBytes(4).toString('hex')}`;
    const store = await connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('killed'), connectionName: name });
    try {
      await store.clients.create(sampleClient('survivor'));
      // The store's connection, found by the name it gives itself (CLIENT SETNAME).
      const connectionId = async (): Promise<string | undefined> => {
        const lines = ((await admin.client('LIST')) as string).split('\n');
        return lines.find((line) => line.includes(` name=${name} `))?.match(/\bid=(\d+)/)?.[1];
      };
      const before = await connectionId();
      expect(before).toBeDefined();
      await admin.client('KILL', 'ID', before!);

      // Right after the kill: an answer or a StoreUnavailableError, quickly, never a hang.
      const { ms, error } = await timed(store.clients.get('survivor'));
      if (error !== undefined) expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(2_500);

      const deadline = Date.now() + 5_000;
      for (;;) {
        const attempt = await timed(store.ping());
        if (attempt.error === undefined) break;
        expect(attempt.error).toBeInstanceOf(StoreUnavailableError);
        if (Date.now() > deadline) throw new Error('the store did not recover within 5 s');
        await sleep(50);
      }
      await expect(store.clients.get('survivor')).resolves.toEqual(sampleClient('survivor'));
      const after = await connectionId();
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore API-token listing', () => {
  test('a failed command inside the paging pipeline is StoreUnavailableError (a 503), never a raw Redis error', async () => {
    const store = await connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('tsp-broken') });
    try {
      // An index entry whose record key holds the wrong type: HMGET answers WRONGTYPE.
      await admin.set(`${store.prefix}tsp:tok_broken`, 'not a hash');
      await admin.zadd(`${store.prefix}tsp-ids`, 0, 'tok_broken');
      await expect(store.apiTokens.list({}, { limit: 10 })).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });
});

describeRecordCaches('one Redis', () => {
  const prefix = testRedisPrefix('client-cache');
  const raw = new Redis(testRedisUrl());
  return {
    open: (name) => Promise.all([0, 1].map(() => connectRedisStore({ url: testRedisUrl(), prefix, connectionName: name }))) as Promise<[RedisStore, RedisStore]>,
    raw: () => raw,
    killSubscriber: (name) => killByName([raw], name),
    cleanup: async (store) => {
      await deleteKeysUnder(raw, store.prefix);
      raw.disconnect();
    },
  };
});

describeSigningKeysContract(
  'RedisStore',
  () => connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('signing-keys') }),
  (store) => deleteKeysUnder(admin, store.prefix),
);

describe('RedisStore plain reads of one tick', () => {
  afterEach(() => { jest.restoreAllMocks(); });

  it('sends a counter peek and a revocation status started together as one MGET, and answers each as before', async () => {
    const prefix = newPrefix('read-batch');
    const store = await connectRedisStore({ url: testRedisUrl(), prefix });
    try {
      const keys = new RedisKeys(prefix);
      const rule = { requests: 5, perSeconds: 60 };
      await store.rateLimits.take('auth_failures:198.51.100.7', rule, Date.now());
      await store.revocations.add('read-batch-jti', Date.now() + 60_000);
      const get = jest.spyOn(Redis.prototype, 'get');
      const mget = jest.spyOn(Redis.prototype, 'mget');
      const [peeked, status, untouched] = await Promise.all([
        store.rateLimits.peek('auth_failures:198.51.100.7', rule, Date.now()),
        store.revocations.status('read-batch-jti', 'read-batch-user'),
        store.revocations.status('read-batch-other', 'read-batch-user'),
      ]);
      expect(peeked).toMatchObject({ allowed: true, remaining: 3 });
      expect(status).toEqual({ revoked: true, userCutoffMs: null });
      expect(untouched).toEqual({ revoked: false, userCutoffMs: null });
      expect(get).not.toHaveBeenCalled();
      expect(mget.mock.calls).toEqual([[
        keys.rateLimit('auth_failures:198.51.100.7'),
        keys.revoked('read-batch-jti'), keys.userCutoff('read-batch-user'),
        keys.revoked('read-batch-other'), keys.userCutoff('read-batch-user'),
      ]]);
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore audit append within the token endpoint rate limits (appendLimited)', () => {
  const peekRule = { requests: 2, perSeconds: 60 };
  const takeRule = { requests: 3, perSeconds: 60 };
  const retentionMs = 3_600_000;
  let store: RedisStore;
  let keys: RedisKeys;
  beforeEach(async () => {
    const prefix = newPrefix('append-limited');
    store = await connectRedisStore({ url: testRedisUrl(), prefix });
    keys = new RedisKeys(prefix);
  });
  afterEach(async () => { await store.close(); });

  const limitsAt = (nowMs: number) => ({ peek: { key: 'auth_failures:198.51.100.10', rule: peekRule }, take: { key: 'client:svc', rule: takeRule }, nowMs });
  const entryAt = (nowMs: number, tokenId: string) => ({
    time: new Date(nowMs).toISOString(), type: 'token.issued', actor: { type: 'client' as const, id: 'svc' }, subject: 'svc', token_id: tokenId,
    client_id: 'svc', ip: '198.51.100.10', user_agent: 'test', request_id: 'r1', route: 'POST /oauth/token',
    detail: { grant_type: 'client_credentials', scope: 'orders:read', refresh_token: false },
  });
  const logged = async (tokenId: string) =>
    (await store.audit.query({ filter: { token_id: tokenId }, order: 'asc', limit: 10, scanLimit: 10_000 })).items;

  it('is offered on a single Redis, where the counters and the log are on one server', () => {
    expect(typeof store.audit.appendLimited).toBe('function');
  });

  it('appends the entry when the address is within its failures and the client within its allowance, and answers both counters and the id', async () => {
    const now = Date.now();
    const entry = entryAt(now, 'jti-allowed');
    const done = await store.audit.appendLimited!(limitsAt(now), entry, now, retentionMs);
    expect(done.limits).toEqual({
      peeked: { allowed: true, remaining: 1, resetSeconds: 30, retryAfterSeconds: 0 },
      taken: { allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 },
    });
    expect(done.id).toMatch(/^\d+-\d+$/);
    expect(await logged('jti-allowed')).toEqual([{ id: done.id, ...entry }]);
    // The allowance was taken (one of three) and the address's failures only peeked at.
    expect(await store.rateLimits.peek('client:svc', takeRule, now)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await admin.exists(keys.rateLimit('auth_failures:198.51.100.10'))).toBe(0);
  });

  it('keeps the order of the entries this process appends, with append() and appendLimited() mixed', async () => {
    const now = Date.now();
    const first = await store.audit.append(entryAt(now, 'jti-order-1'), now, retentionMs);
    const second = (await store.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-order-2'), now, retentionMs)).id;
    const third = await store.audit.append(entryAt(now, 'jti-order-3'), now, retentionMs);
    const page = await store.audit.query({ filter: { type: 'token.issued' }, order: 'asc', limit: 10, scanLimit: 10_000 });
    expect(page.items.map((e) => [e.id, e.token_id])).toEqual([[first, 'jti-order-1'], [second, 'jti-order-2'], [third, 'jti-order-3']]);
  });

  it('trims entries past the retention from its shard, as append() does', async () => {
    // Stream ids are Redis's clock: entries appended a few milliseconds ago are past a 1 ms retention.
    const start = Date.now();
    for (let i = 0; i < 150; i++) await store.audit.append(entryAt(start, `jti-fill-${i}`), start, retentionMs);
    const shards = Array.from({ length: STREAM_SHARDS }, (_, i) => keys.auditShard(i));
    const mine = shards[(await Promise.all(shards.map((k) => admin.xlen(k)))).findIndex((n) => n === 150)]!;
    await sleep(20);
    const now = Date.now();
    await store.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-trim'), now, 1);
    // MINID ~ trims whole macro nodes (100 entries by default), so the first node of the 150 is gone and the newest stays.
    expect(await admin.xlen(mine)).toBeLessThanOrEqual(51);
    expect(await logged('jti-fill-0')).toEqual([]);
    expect(await logged('jti-trim')).toHaveLength(1);
  });

  it('appends nothing and takes nothing when the address is over its failures', async () => {
    const now = Date.now();
    await store.rateLimits.take('auth_failures:198.51.100.10', peekRule, now);
    await store.rateLimits.take('auth_failures:198.51.100.10', peekRule, now);
    const done = await store.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-peek-refused'), now, retentionMs);
    expect(done).toEqual({ limits: { peeked: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 30 }, taken: null }, id: null });
    expect(await admin.exists(keys.rateLimit('client:svc'))).toBe(0);
    expect(await logged('jti-peek-refused')).toEqual([]);
  });

  it('appends nothing when the client is over its allowance, and leaves the counter as it was', async () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) await store.rateLimits.take('client:svc', takeRule, now);
    const spent = await admin.get(keys.rateLimit('client:svc'));
    const done = await store.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-take-refused'), now, retentionMs);
    expect(done).toEqual({
      limits: { peeked: { allowed: true, remaining: 1, resetSeconds: 30, retryAfterSeconds: 0 }, taken: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 } },
      id: null,
    });
    expect(await admin.get(keys.rateLimit('client:svc'))).toBe(spent);
    expect(await logged('jti-take-refused')).toEqual([]);
  });

  it('answers the store error in place of the id when Redis refuses the entry alone, and the allowance taken stands', async () => {
    const now = Date.now();
    // Learn this process's shard, then put a value of another type in its place: its XADD fails with WRONGTYPE.
    await store.audit.append(entryAt(now, 'jti-shard'), now, retentionMs);
    const shards = Array.from({ length: STREAM_SHARDS }, (_, i) => keys.auditShard(i));
    const mine = shards[(await Promise.all(shards.map((k) => admin.xlen(k)))).findIndex((n) => n === 1)]!;
    await admin.del(mine);
    await admin.set(mine, 'not a stream');
    const done = await store.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-refused-entry'), now, retentionMs);
    expect(done.limits.taken).toEqual({ allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 });
    expect(done.id).toBeInstanceOf(StoreUnavailableError);
    expect(String((done.id as Error).cause)).toMatch(/WRONGTYPE/);
    expect(await store.rateLimits.peek('client:svc', takeRule, now)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('fails as a whole, a store error (503), when its connection is gone', async () => {
    const now = Date.now();
    const closed = store;
    store = await connectRedisStore({ url: testRedisUrl(), prefix: newPrefix('append-limited-again') });
    await closed.close();
    await expect(closed.audit.appendLimited!(limitsAt(now), entryAt(now, 'jti-gone'), now, retentionMs)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await logged('jti-gone')).toEqual([]);
  });
});

describe('RedisStore refresh rotation within the token endpoint rate limits (rotateLimited)', () => {
  const peekRule = { requests: 2, perSeconds: 60 };
  const takeRule = { requests: 3, perSeconds: 60 };
  let store: RedisStore;
  let keys: RedisKeys;
  beforeEach(async () => {
    const prefix = newPrefix('rotate-limited');
    store = await connectRedisStore({ url: testRedisUrl(), prefix });
    keys = new RedisKeys(prefix);
  });
  afterEach(async () => { await store.close(); });

  /** A family with live token `t1` (scopes a b), and rotateLimited's arguments for it at `nowMs`. */
  async function started(nowMs: number) {
    const f = family();
    await store.refreshTokens.createFamily(f, { token_hash: 't1', family_id: f.family_id, scopes: ['a', 'b'], created_at: nowMs });
    const limits = { peek: { key: 'auth_failures:198.51.100.9', rule: peekRule }, take: { key: 'client:app', rule: takeRule }, nowMs };
    const args = {
      familyId: f.family_id, tokenHash: 't1', clientId: 'app', successor: { token_hash: 't2', family_id: f.family_id, scopes: [], created_at: nowMs },
      successorSealed: 'sealed-t2', nowMs, graceMs: 10_000, checks: { asked: ['a'], jkt: null },
    };
    return { f, limits, args };
  }

  it('is offered on a single Redis, where the counters and the family are on one server', () => {
    expect(typeof store.refreshTokens.rotateLimited).toBe('function');
  });

  it('rotates when the address is within its failures and the client within its allowance, and answers both counters', async () => {
    const now = Date.now();
    const { f, limits, args } = await started(now);
    const done = await store.refreshTokens.rotateLimited!(limits, args);
    expect(done).toEqual({
      limits: {
        peeked: { allowed: true, remaining: 1, resetSeconds: 30, retryAfterSeconds: 0 },
        taken: { allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 },
      },
      rotation: { outcome: 'rotated', family: f, scopes: ['a'] },
    });
    expect((await store.refreshTokens.get(f.family_id, 't2', now))?.token.scopes).toEqual(['a']);
    expect(await store.refreshTokens.get(f.family_id, 't1', now)).toBeNull();
    // The allowance was taken (one of three) and the address's failures only peeked at.
    expect(await store.rateLimits.peek('client:app', takeRule, now)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await admin.exists(keys.rateLimit('auth_failures:198.51.100.9'))).toBe(0);
  });

  it('rotates nothing and takes nothing when the address is over its failures', async () => {
    const now = Date.now();
    const { f, limits, args } = await started(now);
    await store.rateLimits.take('auth_failures:198.51.100.9', peekRule, now);
    await store.rateLimits.take('auth_failures:198.51.100.9', peekRule, now);
    const done = await store.refreshTokens.rotateLimited!(limits, args);
    expect(done).toEqual({ limits: { peeked: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 30 }, taken: null }, rotation: null });
    expect(await admin.exists(keys.rateLimit('client:app'))).toBe(0);
    expect((await store.refreshTokens.get(f.family_id, 't1', now))?.token.scopes).toEqual(['a', 'b']);
    expect(await admin.exists(keys.refreshGrace(compactFamilyId(f.family_id)))).toBe(0);
  });

  it('rotates nothing when the client is over its allowance', async () => {
    const now = Date.now();
    const { f, limits, args } = await started(now);
    for (let i = 0; i < 3; i++) await store.rateLimits.take('client:app', takeRule, now);
    const spent = await admin.get(keys.rateLimit('client:app'));
    const done = await store.refreshTokens.rotateLimited!(limits, args);
    expect(done).toEqual({
      limits: { peeked: { allowed: true, remaining: 1, resetSeconds: 30, retryAfterSeconds: 0 }, taken: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 } },
      rotation: null,
    });
    expect(await admin.get(keys.rateLimit('client:app'))).toBe(spent);
    expect((await store.refreshTokens.get(f.family_id, 't1', now))?.token.scopes).toEqual(['a', 'b']);
    expect(await admin.exists(keys.refreshGrace(compactFamilyId(f.family_id)))).toBe(0);
  });
});
