/** Users, roles, login counters and per-user cut-offs: behaviour every Store must have. */
import type { Store, UserRecord } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function sampleUser(id: string, username: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id, username, password_hash: 'scrypt:1:1:1:a:b', roles: ['reader'], disabled: false,
    created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z', tokens_revoked_at: null, ...overrides,
  };
}

export function describeUsersContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Users and roles contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('create keeps ids and usernames unique', async () => {
      expect(await store.users.create(sampleUser('usr_1', 'alice'))).toBe('created');
      expect(await store.users.create(sampleUser('usr_1', 'other'))).toBe('id_taken');
      expect(await store.users.create(sampleUser('usr_2', 'alice'))).toBe('username_taken');
      expect((await store.users.getByUsername('alice'))?.id).toBe('usr_1');
      expect(await store.users.getByUsername('other')).toBeNull();
    });

    test('replace moves the username index and refuses a taken name', async () => {
      await store.users.create(sampleUser('usr_1', 'alice'));
      await store.users.create(sampleUser('usr_2', 'bob'));
      expect(await store.users.replace(sampleUser('usr_1', 'bob'))).toBe('username_taken');
      expect(await store.users.replace(sampleUser('usr_1', 'alicia'))).toBe('replaced');
      expect(await store.users.getByUsername('alice')).toBeNull();
      expect((await store.users.getByUsername('alicia'))?.id).toBe('usr_1');
      expect(await store.users.create(sampleUser('usr_3', 'alice'))).toBe('created');
      expect(await store.users.replace(sampleUser('usr_9', 'ghost'))).toBe('missing');
      expect(await store.users.getByUsername('ghost')).toBeNull();
    });

    test('delete frees the username; list pages in id order', async () => {
      for (let i = 0; i < 5; i++) await store.users.create(sampleUser(`usr_${i}`, `u${i}`));
      expect(await store.users.delete('usr_2')).toBe(true);
      expect(await store.users.delete('usr_2')).toBe(false);
      expect(await store.users.getByUsername('u2')).toBeNull();
      const first = await store.users.list({ limit: 3 });
      expect(first.items.map((u) => u.id)).toEqual(['usr_0', 'usr_1', 'usr_3']);
      const second = await store.users.list({ limit: 3, cursor: first.next_cursor! });
      expect(second.items.map((u) => u.id)).toEqual(['usr_4']);
      expect(second.next_cursor).toBeNull();
    });

    test('roles: put, get, getMany in order, list by name, delete', async () => {
      const role = (name: string, scopes: string[]) => ({ name, scopes, created_at: 'x', updated_at: 'x' });
      expect(await store.roles.put(role('writer', ['w']))).toBe('created');
      expect(await store.roles.put(role('reader', ['r']))).toBe('created');
      expect(await store.roles.put(role('writer', ['w', 'x']))).toBe('updated');
      expect((await store.roles.get('writer'))?.scopes).toEqual(['w', 'x']);
      expect((await store.roles.getMany(['writer', 'ghost', 'reader'])).map((r) => r.name)).toEqual(['writer', 'reader']);
      expect(await store.roles.getMany([])).toEqual([]);
      expect((await store.roles.list()).map((r) => r.name)).toEqual(['reader', 'writer']);
      expect(await store.roles.delete('writer')).toBe(true);
      expect(await store.roles.delete('writer')).toBe(false);
    });

    test('users and roles are handed out as copies: changing what was read changes no later read, a change in the store is read as changed', async () => {
      await store.users.create(sampleUser('usr_c', 'carol', { roles: ['reader', 'writer'] }));
      await store.roles.put({ name: 'reader', scopes: ['r'], created_at: 'x', updated_at: 'x' });
      for (let i = 0; i < 2; i++) {
        const user = (await store.users.get('usr_c'))!;
        expect(user).toEqual(sampleUser('usr_c', 'carol', { roles: ['reader', 'writer'] }));
        user.roles.push('admin');
        user.disabled = true;
        const [role] = await store.roles.getMany(['reader']);
        expect(role!.scopes).toEqual(['r']);
        role!.scopes.push('tessera:admin');
        const single = (await store.roles.get('reader'))!;
        expect(single.scopes).toEqual(['r']);
        single.scopes.length = 0;
      }
      expect(await store.users.replace(sampleUser('usr_c', 'carol', { roles: ['reader'], disabled: true }))).toBe('replaced');
      expect(await store.users.get('usr_c')).toEqual(sampleUser('usr_c', 'carol', { roles: ['reader'], disabled: true }));
      await store.roles.put({ name: 'reader', scopes: ['r', 's'], created_at: 'x', updated_at: 'y' });
      expect((await store.roles.getMany(['reader']))[0]!.scopes).toEqual(['r', 's']);
      expect(await store.roles.delete('reader')).toBe(true);
      expect(await store.roles.getMany(['reader'])).toEqual([]);
      expect(await store.roles.get('reader')).toBeNull();
      expect(await store.users.delete('usr_c')).toBe(true);
      expect(await store.users.get('usr_c')).toBeNull();
    });

    test('login attempts count, reset, and expire after the window', async () => {
      const now = Date.now();
      expect(await store.loginAttempts.get('user:a')).toEqual({ count: 0, lastAt: null });
      await store.loginAttempts.hit('user:a', now, 300);
      expect(await store.loginAttempts.hit('user:a', now + 1, 300)).toEqual({ count: 2, lastAt: now + 1 });
      expect(await store.loginAttempts.get('user:a')).toEqual({ count: 2, lastAt: now + 1 });
      await store.loginAttempts.reset('user:a');
      expect((await store.loginAttempts.get('user:a')).count).toBe(0);
      await store.loginAttempts.hit('ip:x', Date.now(), 300);
      await sleep(450);
      expect(await store.loginAttempts.get('ip:x')).toEqual({ count: 0, lastAt: null });
    });

    test('reserve counts an attempt when the rule lets it be made, refuses with the wait otherwise; release takes one back', async () => {
      const rule = { threshold: 2, basePauseMs: 1_000, maxPauseMs: 4_000, windowMs: 60_000 };
      const t = Date.now();
      expect(await store.loginAttempts.reserve('user:r', t, rule)).toEqual({ allowed: true, retryAfterMs: 0 });
      expect(await store.loginAttempts.reserve('user:r', t, rule)).toEqual({ allowed: true, retryAfterMs: 0 });
      // Two counted: the third waits the first pause from the latest.
      expect(await store.loginAttempts.reserve('user:r', t + 400, rule)).toEqual({ allowed: false, retryAfterMs: 600 });
      expect(await store.loginAttempts.get('user:r')).toEqual({ count: 2, lastAt: t });
      expect(await store.loginAttempts.reserve('user:r', t + 1_000, rule)).toEqual({ allowed: true, retryAfterMs: 0 });
      // Three counted: the pause doubles, up to the maximum.
      expect(await store.loginAttempts.reserve('user:r', t + 1_000, rule)).toEqual({ allowed: false, retryAfterMs: 2_000 });
      await store.loginAttempts.release('user:r');
      expect(await store.loginAttempts.get('user:r')).toEqual({ count: 2, lastAt: t + 1_000 });
      expect((await store.loginAttempts.reserve('user:r', t + 1_500, rule)).retryAfterMs).toBe(500);
      await store.loginAttempts.release('user:none');
      expect(await store.loginAttempts.get('user:none')).toEqual({ count: 0, lastAt: null });
    });

    test('reserve holds under concurrency: of 20 at once, exactly the threshold get through', async () => {
      const rule = { threshold: 5, basePauseMs: 60_000, maxPauseMs: 60_000, windowMs: 60_000 };
      const t = Date.now();
      const turns = await Promise.all(Array.from({ length: 20 }, () => store.loginAttempts.reserve('ip:burst', t, rule)));
      expect(turns.filter((x) => x.allowed)).toHaveLength(5);
      expect((await store.loginAttempts.get('ip:burst')).count).toBe(5);
    });

    test('replacePasswordHash swaps only the hash, and only while it is the expected one', async () => {
      await store.users.create(sampleUser('usr_h', 'hashed', { password_hash: 'scrypt:1024:8:1:old:old', roles: [] }));
      expect(await store.users.replacePasswordHash('usr_h', 'scrypt:1024:8:1:other:other', 'scrypt:2048:8:1:new:new')).toBe(false);
      expect(await store.users.replacePasswordHash('usr_h', 'scrypt:1024:8:1:old:old', 'scrypt:2048:8:1:new:new')).toBe(true);
      expect(await store.users.get('usr_h')).toEqual(sampleUser('usr_h', 'hashed', { password_hash: 'scrypt:2048:8:1:new:new', roles: [] }));
      expect((await store.users.getByUsername('hashed'))?.password_hash).toBe('scrypt:2048:8:1:new:new');
      expect(await store.users.replacePasswordHash('usr_missing', 'a', 'b')).toBe(false);
    });

    test('a user cut-off is read with the jti in one status call', async () => {
      await store.revocations.add('j1', Date.now() + 60_000);
      expect(await store.revocations.status('j1', 'usr_1')).toEqual({ revoked: true, userCutoffMs: null });
      await store.revocations.setUserCutoff('usr_1', 1_700_000_000_000);
      expect(await store.revocations.status('j2', 'usr_1')).toEqual({ revoked: false, userCutoffMs: 1_700_000_000_000 });
      expect(await store.revocations.status('j2', null)).toEqual({ revoked: false, userCutoffMs: null });
      await store.revocations.deleteUserCutoff('usr_1');
      expect((await store.revocations.status('j2', 'usr_1')).userCutoffMs).toBeNull();
      // Any of the extra ids revoked makes the token revoked, with or without a user.
      await store.revocations.add('api_token:tok_1', Date.now() + 60_000);
      expect(await store.revocations.status('j2', null, ['api_token:tok_1'])).toEqual({ revoked: true, userCutoffMs: null });
      expect(await store.revocations.status('j2', 'usr_1', ['api_token:tok_2', 'api_token:tok_1'])).toEqual({ revoked: true, userCutoffMs: null });
      expect(await store.revocations.status('j2', 'usr_1', ['api_token:tok_2'])).toEqual({ revoked: false, userCutoffMs: null });
    });
  });
}
