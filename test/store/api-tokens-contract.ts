/** API tokens: behaviour every Store must have (run on memory and a real Redis). */
import type { ApiTokenRecord, Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function sampleApiToken(id: string, overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const now = Date.now();
  return {
    id, user_id: 'usr_1', name: `token ${id}`, description: null, scopes: ['orders:read'],
    secret_hash: `hash-${id}`, previous_secret_hash: null, previous_expires_at: null,
    expires_at: now + 3_600_000, allowed_ips: null, rate_limit: null,
    created_at: now, created_by: { type: 'client', id: 'tessera-admin' },
    last_used_at: null, last_used_ip: null, rotated_at: null,
    revoked_at: null, revoked_by: null, revocation_reason: null,
    purge_at: now + 7_200_000, version: 1, ...overrides,
  };
}

export function describeApiTokensContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`API tokens contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('create stores the record, found by id and by secret hash; an empty list stays an array', async () => {
      const t = sampleApiToken('tok_a', { allowed_ips: ['10.0.0.0/8'], rate_limit: { requests: 5, per_seconds: 60 }, scopes: [] });
      expect(await store.apiTokens.create(t, Date.now())).toBe(true);
      expect(await store.apiTokens.get('tok_a')).toEqual(t);
      expect(await store.apiTokens.findByHash('hash-tok_a')).toEqual(t);
      expect(await store.apiTokens.findByHash('hash-unknown')).toBeNull();
      expect(await store.apiTokens.get('tok_unknown')).toBeNull();
    });

    test('create refuses a taken id or a taken secret hash', async () => {
      await store.apiTokens.create(sampleApiToken('tok_a'), Date.now());
      expect(await store.apiTokens.create(sampleApiToken('tok_a', { secret_hash: 'other' }), Date.now())).toBe(false);
      expect(await store.apiTokens.create(sampleApiToken('tok_b', { secret_hash: 'hash-tok_a' }), Date.now())).toBe(false);
      expect(await store.apiTokens.get('tok_b')).toBeNull();
    });

    test('update is compare-and-set on the version', async () => {
      const t = sampleApiToken('tok_a');
      await store.apiTokens.create(t, Date.now());
      expect(await store.apiTokens.update({ ...t, name: 'renamed', version: 2 }, 1)).toBe('updated');
      expect(await store.apiTokens.update({ ...t, name: 'stale', version: 2 }, 1)).toBe('conflict');
      expect((await store.apiTokens.get('tok_a'))?.name).toBe('renamed');
      expect(await store.apiTokens.update(sampleApiToken('tok_none'), 1)).toBe('missing');
      expect(await store.apiTokens.get('tok_none')).toBeNull();
    });

    test('a rotation indexes the new secret beside the previous one', async () => {
      const t = sampleApiToken('tok_a');
      await store.apiTokens.create(t, Date.now());
      const rotated = { ...t, secret_hash: 'hash-new', previous_secret_hash: t.secret_hash, previous_expires_at: Date.now() + 300, version: 2 };
      expect(await store.apiTokens.update(rotated, 1)).toBe('updated');
      expect((await store.apiTokens.findByHash('hash-new'))?.id).toBe('tok_a');
      expect((await store.apiTokens.findByHash('hash-tok_a'))?.previous_secret_hash).toBe('hash-tok_a');
      // A second rotation with no previous secret drops both older hashes at once.
      expect(await store.apiTokens.update({ ...rotated, secret_hash: 'hash-3', previous_secret_hash: null, previous_expires_at: null, version: 3 }, 2)).toBe('updated');
      expect(await store.apiTokens.findByHash('hash-new')).toBeNull();
      expect((await store.apiTokens.findByHash('hash-3'))?.id).toBe('tok_a');
    });

    test('a revoked token is still found by its secrets, so a refused use can name it', async () => {
      const t = sampleApiToken('tok_a');
      await store.apiTokens.create(t, Date.now());
      const revoked = { ...t, revoked_at: Date.now(), revoked_by: { type: 'anonymous' as const, id: null }, revocation_reason: 'leaked', version: 2 };
      expect(await store.apiTokens.update(revoked, 1)).toBe('updated');
      expect((await store.apiTokens.findByHash('hash-tok_a'))?.revocation_reason).toBe('leaked');
    });

    test('record and secret index stay until purge_at, then are gone from get, list and findByHash', async () => {
      const now = Date.now();
      await store.apiTokens.create(sampleApiToken('tok_a', { expires_at: now + 100, purge_at: now + 400 }), now);
      await sleep(200);
      expect((await store.apiTokens.findByHash('hash-tok_a'))?.id).toBe('tok_a');
      expect((await store.apiTokens.get('tok_a'))?.id).toBe('tok_a');
      await sleep(300);
      expect(await store.apiTokens.get('tok_a')).toBeNull();
      expect(await store.apiTokens.findByHash('hash-tok_a')).toBeNull();
      expect((await store.apiTokens.list({}, { limit: 10 })).items).toEqual([]);
    });

    test('touch records the last use without a version change, and survives a later update', async () => {
      const t = sampleApiToken('tok_a');
      await store.apiTokens.create(t, Date.now());
      await store.apiTokens.touch('tok_a', 1234, '203.0.113.5');
      expect(await store.apiTokens.get('tok_a')).toMatchObject({ last_used_at: 1234, last_used_ip: '203.0.113.5', version: 1 });
      await store.apiTokens.update({ ...t, name: 'x', version: 2 }, 1);
      expect(await store.apiTokens.get('tok_a')).toMatchObject({ name: 'x', last_used_at: 1234, last_used_ip: '203.0.113.5' });
      await store.apiTokens.touch('tok_none', 1, '::1');
      expect(await store.apiTokens.get('tok_none')).toBeNull();
    });

    test('census counts the active tokens, those expiring soon, and those unused (nor created) since a time', async () => {
      const now = Date.now();
      const day = 86_400_000;
      const purge = now + 60 * day;
      await store.apiTokens.create(sampleApiToken('tok_new', { expires_at: now + 3_600_000, purge_at: purge }), now);
      await store.apiTokens.create(sampleApiToken('tok_idle', { created_at: now - 40 * day, expires_at: now + 30 * day, purge_at: purge }), now);
      await store.apiTokens.create(sampleApiToken('tok_busy', { created_at: now - 40 * day, expires_at: now + 30 * day, purge_at: purge }), now);
      await store.apiTokens.touch('tok_busy', now - day, '10.0.0.1');
      await store.apiTokens.create(sampleApiToken('tok_stale', { created_at: now - 40 * day, expires_at: now + 30 * day, purge_at: purge }), now);
      await store.apiTokens.touch('tok_stale', now - 35 * day, '10.0.0.1');
      await store.apiTokens.create(sampleApiToken('tok_revoked', { created_at: now - 40 * day, revoked_at: now, purge_at: purge }), now);
      await store.apiTokens.create(sampleApiToken('tok_expired', { created_at: now - 40 * day, expires_at: now - 1_000, purge_at: purge }), now);
      expect(await store.apiTokens.census(now, now + 7 * day, now - 30 * day)).toEqual({ active: 4, expiring: 1, unused: 2 });
      expect(await store.apiTokens.census(now, now, now - 50 * day)).toEqual({ active: 4, expiring: 0, unused: 0 });
    });

    test('countExpiring counts tokens not revoked whose expiry falls in (now, until], and follows updates', async () => {
      const now = Date.now();
      const day = 86_400_000;
      await store.apiTokens.create(sampleApiToken('tok_soon', { expires_at: now + day, purge_at: now + 30 * day }), now);
      await store.apiTokens.create(sampleApiToken('tok_edge', { expires_at: now + 7 * day, purge_at: now + 30 * day }), now);
      await store.apiTokens.create(sampleApiToken('tok_late', { expires_at: now + 8 * day, purge_at: now + 30 * day }), now);
      await store.apiTokens.create(sampleApiToken('tok_past', { expires_at: now - 1, purge_at: now + day }), now);
      const revoked = sampleApiToken('tok_gone', { expires_at: now + day, purge_at: now + 30 * day });
      await store.apiTokens.create(revoked, now);
      expect(await store.apiTokens.countExpiring(now, now + 7 * day)).toBe(3);

      expect(await store.apiTokens.update({ ...revoked, revoked_at: now, revocation_reason: 'done', version: 2 }, 1)).toBe('updated');
      // A rename (or a rotation) keeps a token counted once.
      const soon = (await store.apiTokens.get('tok_soon'))!;
      expect(await store.apiTokens.update({ ...soon, name: 'renamed', version: 2 }, 1)).toBe('updated');
      expect(await store.apiTokens.countExpiring(now, now + 7 * day)).toBe(2);
      expect(await store.apiTokens.countExpiring(now, now + 9 * day)).toBe(3);
      expect(await store.apiTokens.countExpiring(now + 2 * day, now + 7 * day)).toBe(1);
    });

    test('expiringBetween walks the expiry index in (after, until] by expiry then id, pages ending after every tie', async () => {
      const now = Date.now();
      const day = 86_400_000;
      const at = (d: number) => now + d * day;
      for (const [id, d] of [['tok_e', 3], ['tok_b', 2], ['tok_d', 2], ['tok_c', 2], ['tok_a', 1], ['tok_f', 9]] as const) {
        await store.apiTokens.create(sampleApiToken(id, { expires_at: at(d), purge_at: at(40) }), now);
      }
      await store.apiTokens.create(sampleApiToken('tok_gone', { expires_at: at(1), purge_at: at(40), revoked_at: now }), now);
      const ids = (p: { items: Array<{ id: string }> }) => p.items.map((t) => t.id);

      const first = await store.apiTokens.expiringBetween(now, at(7), 2);
      // tok_b is the second; tok_c and tok_d expire with it, so they come along.
      expect(ids(first)).toEqual(['tok_a', 'tok_b', 'tok_c', 'tok_d']);
      expect(first.next).toBe(at(2));
      const second = await store.apiTokens.expiringBetween(first.next!, at(7), 2);
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'tok_e', expires_at: at(3) })], next: null });
      // A page that ends exactly at the range's last token says there is nothing more.
      expect(await store.apiTokens.expiringBetween(at(2), at(3), 1)).toEqual({ items: [expect.objectContaining({ id: 'tok_e' })], next: null });
      expect(ids(await store.apiTokens.expiringBetween(at(1), at(2), 10))).toEqual(['tok_b', 'tok_c', 'tok_d']);
      expect(await store.apiTokens.expiringBetween(at(9), at(20), 10)).toEqual({ items: [], next: null });
    });

    test('list pages in id order, overall and per user', async () => {
      for (const [id, user] of [['tok_c', 'usr_1'], ['tok_a', 'usr_2'], ['tok_b', 'usr_1'], ['tok_d', 'usr_1']] as const) {
        await store.apiTokens.create(sampleApiToken(id, { user_id: user }), Date.now());
      }
      const first = await store.apiTokens.list({}, { limit: 3 });
      expect(first.items.map((t) => t.id)).toEqual(['tok_a', 'tok_b', 'tok_c']);
      const second = await store.apiTokens.list({}, { limit: 3, cursor: first.next_cursor! });
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'tok_d' })], next_cursor: null });
      const mine = await store.apiTokens.list({ userId: 'usr_1' }, { limit: 2 });
      expect(mine.items.map((t) => t.id)).toEqual(['tok_b', 'tok_c']);
      expect((await store.apiTokens.list({ userId: 'usr_1' }, { limit: 2, cursor: mine.next_cursor! })).items.map((t) => t.id)).toEqual(['tok_d']);
      expect((await store.apiTokens.list({ userId: 'usr_9' }, { limit: 2 })).items).toEqual([]);
    });
  });
}
