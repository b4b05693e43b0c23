/**
 * The behaviour every Store must have. Both implementations run this same
 * suite, which is what lets the rest of Tessera (and its tests) treat the
 * in-memory store as a faithful stand-in for Redis.
 */
import { InvalidRequestError, StoreUnavailableError } from '../../src/core/errors.js';
import type { ClientRecord, Store } from '../../src/store/store.js';
import { REVOCATION_MARGIN_MS } from '../../src/core/tokens/clock-tolerance.js';

export function sampleClient(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    client_id: clientId,
    name: `Client ${clientId}`,
    public: false,
    secret_hash: 'sha256:00ff',
    grant_types: ['client_credentials'],
    scopes: ['orders:read', 'orders:write'],
    default_scopes: null,
    audiences: ['https://api.example.com'],
    redirect_uris: [],
    third_party: false,
    created_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-01-01T00:00:00.000Z',
    secret_rotated_at: null,
    ...overrides,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function describeStoreContract<S extends Store>(
  name: string,
  makeStore: () => Promise<S>,
  cleanup?: (store: S) => Promise<void>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: S;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await cleanup?.(store);
      await store.close();
    });

    describe('clients', () => {
      it('creates a client and gets it back', async () => {
        const client = sampleClient('billing', { default_scopes: ['orders:read'], redirect_uris: ['http://localhost/cb'] });
        await expect(store.clients.create(client)).resolves.toBe(true);
        await expect(store.clients.get('billing')).resolves.toEqual(client);
      });

      it('answers null for an unknown client', async () => {
        await expect(store.clients.get('nobody')).resolves.toBeNull();
      });

      it('refuses to create a client whose id is taken, and keeps the first one', async () => {
        await store.clients.create(sampleClient('dup', { name: 'first' }));
        await expect(store.clients.create(sampleClient('dup', { name: 'second' }))).resolves.toBe(false);
        await expect(store.clients.get('dup')).resolves.toMatchObject({ name: 'first' });
      });

      it('replaces an existing client', async () => {
        await store.clients.create(sampleClient('app'));
        const updated = sampleClient('app', { name: 'renamed', scopes: ['orders:read'], updated_at: '2024-02-01T00:00:00.000Z' });
        await expect(store.clients.replace(updated)).resolves.toBe(true);
        await expect(store.clients.get('app')).resolves.toEqual(updated);
      });

      it('does not create a client on replace of a missing id', async () => {
        await expect(store.clients.replace(sampleClient('ghost'))).resolves.toBe(false);
        await expect(store.clients.get('ghost')).resolves.toBeNull();
        await expect(store.clients.list({ limit: 10 })).resolves.toEqual({ items: [], next_cursor: null });
      });

      it('replaceSecretHash swaps only the secret hash, only while it is the expected one, never inside another field', async () => {
        // A name that spells the field out must not be where the swap happens.
        const tricky = sampleClient('rehash', { secret_hash: 'scrypt:1024:8:1:s:k', name: '"secret_hash":"scrypt:1024:8:1:s:k"', redirect_uris: [] });
        await store.clients.create(tricky);
        await expect(store.clients.replaceSecretHash('rehash', 'scrypt:1024:8:1:x:x', 'scrypt:2048:8:1:n:n')).resolves.toBe(false);
        await expect(store.clients.replaceSecretHash('rehash', 'scrypt:1024:8:1:s:k', 'scrypt:2048:8:1:n:n')).resolves.toBe(true);
        await expect(store.clients.get('rehash')).resolves.toEqual({ ...tricky, secret_hash: 'scrypt:2048:8:1:n:n' });
        await expect(store.clients.replaceSecretHash('nobody', 'a', 'b')).resolves.toBe(false);
      });

      it('never resurrects a deleted client on replace', async () => {
        await store.clients.create(sampleClient('gone'));
        await store.clients.delete('gone');
        await expect(store.clients.replace(sampleClient('gone'))).resolves.toBe(false);
        await expect(store.clients.get('gone')).resolves.toBeNull();
      });

      it('deletes a client, which then is gone from get and list, and its id is free again', async () => {
        await store.clients.create(sampleClient('a'));
        await store.clients.create(sampleClient('b'));
        await expect(store.clients.delete('a')).resolves.toBe(true);
        await expect(store.clients.get('a')).resolves.toBeNull();
        const page = await store.clients.list({ limit: 10 });
        expect(page.items.map((c) => c.client_id)).toEqual(['b']);
        await expect(store.clients.create(sampleClient('a'))).resolves.toBe(true);
      });

      it('answers false when deleting a missing client', async () => {
        await expect(store.clients.delete('missing')).resolves.toBe(false);
      });

      it('lists nothing, with no next cursor, when there are no clients', async () => {
        await expect(store.clients.list({ limit: 10 })).resolves.toEqual({ items: [], next_cursor: null });
      });

      it('pages through 25 clients, 10 at a time, in id order with exclusive cursors', async () => {
        const ids = Array.from({ length: 25 }, (_, i) => `client-${String(i).padStart(2, '0')}`);
        // Created out of order: the order of a listing must not depend on insertion order.
        for (const id of [...ids].reverse()) await store.clients.create(sampleClient(id));

        const first = await store.clients.list({ limit: 10 });
        expect(first.items.map((c) => c.client_id)).toEqual(ids.slice(0, 10));
        expect(first.next_cursor).toEqual(expect.any(String));

        const second = await store.clients.list({ limit: 10, cursor: first.next_cursor! });
        expect(second.items.map((c) => c.client_id)).toEqual(ids.slice(10, 20));
        expect(second.next_cursor).toEqual(expect.any(String));

        const third = await store.clients.list({ limit: 10, cursor: second.next_cursor! });
        expect(third.items.map((c) => c.client_id)).toEqual(ids.slice(20));
        expect(third.next_cursor).toBeNull();
        expect(third.items[0]).toEqual(sampleClient('client-20'));
      });

      it('has no next cursor when the last page is exactly full', async () => {
        for (const id of ['a', 'b', 'c', 'd']) await store.clients.create(sampleClient(id));
        const first = await store.clients.list({ limit: 2 });
        expect(first.items.map((c) => c.client_id)).toEqual(['a', 'b']);
        const second = await store.clients.list({ limit: 2, cursor: first.next_cursor! });
        expect(second.items.map((c) => c.client_id)).toEqual(['c', 'd']);
        expect(second.next_cursor).toBeNull();
      });

      it('resumes after a cursor whose client was deleted meanwhile', async () => {
        for (const id of ['a', 'b', 'c', 'd']) await store.clients.create(sampleClient(id));
        const first = await store.clients.list({ limit: 2 });
        await store.clients.delete('b');
        const second = await store.clients.list({ limit: 2, cursor: first.next_cursor! });
        expect(second.items.map((c) => c.client_id)).toEqual(['c', 'd']);
      });

      it('orders ids by their UTF-8 bytes, as Redis does', async () => {
        // Upper case before lower case; U+FF5E (3 UTF-8 bytes) before an emoji
        // (4 bytes) even though UTF-16 code units would put the emoji first.
        const ordered = ['Zeta', 'alpha', 'z', 'é', '\uFF5E', '\u{1F600}'];
        for (const id of [...ordered].reverse()) await store.clients.create(sampleClient(id));
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.clients.list({ limit: 4, cursor });
          ids.push(...page.items.map((c) => c.client_id));
          cursor = page.next_cursor ?? undefined;
        } while (cursor !== undefined);
        expect(ids).toEqual(ordered);
      });

      it.each([['!!!'], ['not a cursor'], [''], ['YQ=='], ['YR'], ['_w']])(
        'rejects the malformed cursor %j with InvalidRequestError',
        async (cursor) => {
          await store.clients.create(sampleClient('a'));
          const attempt = store.clients.list({ limit: 10, cursor });
          await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
          await expect(attempt).rejects.toThrow('cursor is not valid');
        },
      );

      it('hands out copies: mutating what went in or came out does not change the store', async () => {
        const client = sampleClient('copy');
        await store.clients.create(client);
        client.scopes.push('tessera:admin');
        client.name = 'changed after create';

        const fetched = await store.clients.get('copy');
        expect(fetched).toEqual(sampleClient('copy'));
        fetched!.scopes.push('tessera:admin');
        fetched!.audiences.length = 0;

        const listed = await store.clients.list({ limit: 1 });
        listed.items[0]!.grant_types.push('password');

        const replacement = sampleClient('copy', { name: 'replaced' });
        await store.clients.replace(replacement);
        replacement.redirect_uris.push('https://evil.example/cb');

        await expect(store.clients.get('copy')).resolves.toEqual(sampleClient('copy', { name: 'replaced' }));
      });
    });

    describe('revocations', () => {
      it('does not know a token id that was never added', async () => {
        await expect(store.revocations.has('unknown-jti')).resolves.toBe(false);
      });

      it('knows a token id after it is added, until the largest clock tolerance past its expiry', async () => {
        // Its exp is 5 minutes less 300 ms ago: a validator with 5 minutes of tolerance still accepts it for 300 ms.
        await store.revocations.add('jti-1', Date.now() - REVOCATION_MARGIN_MS + 300);
        await expect(store.revocations.has('jti-1')).resolves.toBe(true);
        await expect(store.revocations.has('jti-2')).resolves.toBe(false);
        await sleep(450);
        await expect(store.revocations.has('jti-1')).resolves.toBe(false);
      });

      it('keeps a token revoked for the clock tolerance after its expiry, and ignores one past it', async () => {
        await store.revocations.add('just-expired', Date.now() - 1_500);
        await expect(store.revocations.has('just-expired')).resolves.toBe(true);
        await store.revocations.add('old-jti', Date.now() - REVOCATION_MARGIN_MS - 1_000);
        await expect(store.revocations.has('old-jti')).resolves.toBe(false);
      });

      it('accepts a fractional expiry time', async () => {
        await store.revocations.add('frac-jti', Date.now() + 60_000.5);
        await expect(store.revocations.has('frac-jti')).resolves.toBe(true);
      });
    });

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('can be closed twice', async () => {
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
      });

      it('refuses work after close with StoreUnavailableError', async () => {
        await store.close();
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.clients.get('a')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.revocations.has('jti')).rejects.toBeInstanceOf(StoreUnavailableError);
      });
    });
  });
}
