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
