/**
 * The rotation schedule on two real server processes sharing one Redis (the
 * job lease) and their keys (one keys dir, or the store): with a 3 s interval and a 1 s JWKS max-age,
 * keys go next -> active -> retired -> gone; every token either instance
 * issues verifies, until it expires, against the JWKS of each instance as a
 * verifier that honours max-age (and never refetches on an unknown kid)
 * holds it; and the two instances together make exactly one rotation per
 * interval.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ensureBuilt } from '../support/build.js';
import { startServer, type RunningServer } from '../support/process.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { adminAccessToken } from '../support/token-calls.js';

const ADMIN_SECRET = 'an-admin-secret-for-key-rotation';
const INTERVAL_MS = 3000;
const MAX_AGE_S = 1;
const ISSUER = 'http://tessera.rotation.test';

interface KeyRow { kid: string; state: string; activated_at: string | null; retired_at: string | null; activates_at: string | null; retires_at: string | null; removed_at: string | null; next_transition_at: string | null }
interface Issued { token: string; kid: string; exp: number; by: string }

/** A verifier's view of one instance's JWKS: refetched once its max-age has passed, never on an unknown kid. */
class CachedJwks {
  private fetchedAt = 0;
  private set: JSONWebKeySet = { keys: [] };
  constructor(private readonly url: string) {}
  async get(): Promise<JSONWebKeySet> {
    if (Date.now() - this.fetchedAt >= MAX_AGE_S * 1000) {
      const res = await fetch(`${this.url}/.well-known/jwks.json`);
      expect(res.headers.get('cache-control')).toBe(`public, max-age=${MAX_AGE_S}`);
      this.set = (await res.json()) as JSONWebKeySet;
      this.fetchedAt = Date.now();
    }
    return this.set;
  }
}

let dir: string;
let servers: RunningServer[] = [];
beforeAll(() => ensureBuilt('dist/main.js'), 180_000);
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-rotation-')); });
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

const token = (server: RunningServer): Promise<string> => adminAccessToken(server, ADMIN_SECRET);

async function keysOf(server: RunningServer, bearer: string): Promise<{ items: KeyRow[]; rotation: { interval_seconds: number | null; next_rotation_at: string | null } }> {
  const res = await fetch(`${server.url}/admin/v1/keys`, { headers: { Authorization: `Bearer ${bearer}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

test.each([
  ['a shared keys dir', 'dir'],
  ['keys in the store (a keys dir of its own each)', 'store'],
])('two instances, %s: keys go next -> active -> retired -> gone, tokens verify throughout, one rotation per interval', async (_what, storage) => {
  const prefix = testRedisPrefix('key-rotation');
  const env = (name: string) => ({
    REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_ISSUER: ISSUER, TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    ...(storage === 'store'
      ? { TESSERA_KEYS_STORAGE: 'store', TESSERA_KEYS_PASSPHRASE: 'the passphrase of the signing keys', TESSERA_KEYS_DIR: path.join(dir, name) }
      : { TESSERA_KEYS_DIR: path.join(dir, 'keys') }),
    TESSERA_KEY_ROTATION_INTERVAL: `${INTERVAL_MS / 1000}s`, TESSERA_KEY_ROTATION_MARGIN: '0s', TESSERA_JWKS_MAX_AGE: String(MAX_AGE_S),
    TESSERA_KEYS_POLL_INTERVAL: '200', TESSERA_ACCESS_TOKEN_TTL: '2', TESSERA_CLOCK_SKEW: '0',
  });
  // The schedule runs from the first start on.
  const launched = Date.now();
  const a = await startServer(env('a'));
  servers.push(a);
  const b = await startServer(env('b'));
  servers.push(b);
  const instances = [a, b];
  const jwks = instances.map((s) => new CachedJwks(s.url));

  const issued: Issued[] = [];
  /** Every state each kid was seen in (from instance a's admin API), in order. */
  const seen = new Map<string, string[]>();
  let verified = 0;
  let rows: KeyRow[] = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < 4 * INTERVAL_MS + 2500; i++) {
    const by = instances[i % 2]!;
    const t = await token(by);
    const kid = decodeProtectedHeader(t).kid!;
    issued.push({ token: t, kid, exp: JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).exp, by: by.url });

    // Every unexpired token, from either instance, against each instance's JWKS as a caching verifier holds it.
    for (const cache of jwks) {
      const set = createLocalJWKSet(await cache.get());
      for (const it of issued) {
        if (it.exp * 1000 <= Date.now() + 50) continue;
        await expect(jwtVerify(it.token, set, { issuer: ISSUER })).resolves.toBeDefined();
        verified++;
      }
    }

    const listed = await keysOf(a, t);
    rows = listed.items;
    expect(listed.rotation.interval_seconds).toBe(INTERVAL_MS / 1000);
    const present = new Set(rows.map((r) => r.kid));
    for (const r of rows) {
      const states = seen.get(r.kid) ?? [];
      if (states.at(-1) !== r.state) states.push(r.state);
      seen.set(r.kid, states);
      // Under a schedule every key has a next step, and it is in the future or due now.
      expect(r.next_transition_at).not.toBeNull();
    }
    for (const [kid, states] of seen) if (!present.has(kid) && states.at(-1) !== 'gone') states.push('gone');
    await sleep(150);
  }

  // At least one key lived the whole cycle while we watched.
  const cycles = [...seen.values()].filter((s) => s.join(',') === 'next,active,retired,gone');
  expect(cycles.length).toBeGreaterThanOrEqual(1);
  // Each retired key left the JWKS of both instances once it was gone.
  const gone = [...seen].filter(([, s]) => s.at(-1) === 'gone').map(([kid]) => kid);
  for (const s of instances) {
    const now = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    for (const kid of gone) expect(now.keys.map((k) => k.kid)).not.toContain(kid);
  }
  // Tokens were signed by several keys, by both instances, and all verified.
  expect(new Set(issued.map((i) => i.kid)).size).toBeGreaterThanOrEqual(3);
  expect(new Set(issued.map((i) => i.by)).size).toBe(2);
  expect(verified).toBeGreaterThan(issued.length);

  // One rotation per interval, not one per instance: activations are an interval apart.
  const activations = rows.concat()
    .map((r) => r.activated_at).filter((t): t is string => t !== null).map(Date.parse).sort((x, y) => x - y);
  const auditRes = await fetch(`${b.url}/admin/v1/audit?type=key.rotated&limit=100`, { headers: { Authorization: `Bearer ${await token(b)}` } });
  expect(auditRes.status).toBe(200);
  const rotations = ((await auditRes.json()) as { items: { actor: unknown; detail: Record<string, unknown>; time: string }[] }).items;
  expect(rotations.length).toBeGreaterThanOrEqual(3);
  for (const r of rotations) expect(r).toMatchObject({ actor: { type: 'system', id: 'scheduler' }, detail: { trigger: 'schedule' } });
  const times = rotations.map((r) => Date.parse(r.time)).sort((x, y) => x - y);
  // Audit times are taken when the event is recorded, after the writes: they jitter by the write latency.
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INTERVAL_MS - 500);
  // Activation times are the stored ones: exactly an interval apart, or more.
  for (let i = 1; i < activations.length; i++) expect(activations[i]! - activations[i - 1]!).toBeGreaterThanOrEqual(INTERVAL_MS);
  const elapsed = Date.now() - launched;
  expect(rotations.length).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL_MS));

  // The audit log has every step, by the scheduler.
  const all = await fetch(`${a.url}/admin/v1/audit?actor=scheduler&limit=200`, { headers: { Authorization: `Bearer ${await token(a)}` } });
  const types = new Set(((await all.json()) as { items: { type: string }[] }).items.map((e) => e.type));
  expect([...types].sort()).toEqual(['key.activated', 'key.published', 'key.removed', 'key.rotated']);

  // Metrics: rotations counted where they happened; the key's age and the next rotation are exposed.
  const metrics = await Promise.all(instances.map(async (s) => (await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${await token(s)}` } })).text()));
  const counted = metrics.map((m) => Number(/\ntessera_key_rotations_total\{trigger="schedule"\} (\d+)/.exec(m)?.[1]));
  // The schedule goes on meanwhile: one more rotation may have happened since the audit log was read.
  expect(counted[0]! + counted[1]!).toBeGreaterThanOrEqual(rotations.length);
  expect(counted[0]! + counted[1]!).toBeLessThanOrEqual(rotations.length + 1);
  for (const m of metrics) {
    expect(m).toMatch(/\ntessera_signing_key_age_seconds \d/);
    const next = Number(/\ntessera_key_next_rotation_timestamp_seconds (\S+)/.exec(m)?.[1]);
    expect(next * 1000).toBeGreaterThan(Date.now() - INTERVAL_MS);
  }
}, 60_000);
