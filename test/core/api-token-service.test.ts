/** ApiTokenService and ApiTokenUser on the memory store with a clock the tests move. */
import { MemoryStore } from '../../src/store/memory-store.js';
import { UserService } from '../../src/core/users/user-service.js';
import { MemoryAuditSink } from '../../src/core/audit.js';
import { ApiTokenService } from '../../src/core/api-tokens/api-token-service.js';
import { ApiTokenUser } from '../../src/core/api-tokens/api-token-use.js';
import { cheapHasher } from '../support/passwords.js';

const ADMIN = { actor: { type: 'client' as const, id: 'admin' } };
const POLICY = { maxTtl: 86_400, defaultTtl: 3_600, retention: 600, derivedTokenLifetime: 660, defaultRateLimit: { requests: 600, perSeconds: 60 } };

let now: number;
let store: MemoryStore;
let service: ApiTokenService;
let use: ApiTokenUser;
let audit: MemoryAuditSink;

beforeEach(async () => {
  now = Date.parse('2026-01-01T00:00:00Z');
  store = new MemoryStore({ now: () => now });
  const users = new UserService(store, cheapHasher(), () => now);
  audit = new MemoryAuditSink();
  service = new ApiTokenService(store, users, audit, POLICY, () => now);
  use = new ApiTokenUser(store, users, audit, () => now);
  await users.putRole('reader', ['orders:read']);
  await users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
});
afterEach(async () => { await store.close(); });

const at = (token: string) => use.use(token, { ip: '192.0.2.1', purpose: 'token_exchange', clientId: 'c', route: 'POST /oauth/token' });
const make = (extra: Record<string, unknown> = {}) => service.create({ user: 'alice', name: 't', scopes: ['orders:read'], ...extra }, ADMIN);

test('a token works until its expiry, then is refused as expired, and is purged after the retention period', async () => {
  const { record, token } = await make({ expires_in: 120 });
  expect(record.expires_at).toBe(now + 120_000);
  expect((await at(token)).ok).toBe(true);
  now += 120_000;
  expect(await at(token)).toEqual({ ok: false, reason: 'expired' });
  now += 600_000 - 1;
  expect(await store.apiTokens.get(record.id)).not.toBeNull();
  now += 1;
  expect(await store.apiTokens.get(record.id)).toBeNull();
  expect(await at(token)).toEqual({ ok: false, reason: 'unknown' });
});

test('the default lifetime applies when none is given', async () => {
  expect((await make()).record.expires_at).toBe(now + 3_600_000);
});

test('the previous secret works to the millisecond of its grace end, never past the token\'s expiry', async () => {
  const { record, token: old } = await make({ expires_in: 600 });
  const { token: fresh } = await service.rotate(record.id, 60, ADMIN);
  now += 59_999;
  expect((await at(old)).ok).toBe(true);
  now += 1;
  expect(await at(old)).toEqual({ ok: false, reason: 'superseded' });
  expect((await at(fresh)).ok).toBe(true);
  const long = await service.rotate(record.id, 3_600, ADMIN);
  expect(long.record.previous_expires_at).toBe(record.expires_at);
});

test('last use is recorded with the address; the audit events name the token, never the secret', async () => {
  const { record, token } = await make();
  now += 5_000;
  await at(token);
  expect(await store.apiTokens.get(record.id)).toMatchObject({ last_used_at: now, last_used_ip: '192.0.2.1' });
  expect(audit.events.map((e) => [e.type, e.token_id])).toEqual([['api_token.created', record.id], ['api_token.used', record.id]]);
  expect(JSON.stringify(audit.events)).not.toContain(token);
});

test('a filtered list scans a bounded number of pages and resumes from its cursor', async () => {
  const live = [];
  for (let i = 0; i < 25; i++) {
    const { record } = await make();
    await service.revoke(record.id, null, ADMIN);
  }
  for (let i = 0; i < 2; i++) live.push((await make()).record.id);
  let batches = 0;
  const original = store.apiTokens.list.bind(store.apiTokens);
  store.apiTokens.list = (...args) => { batches++; return original(...args); };
  const seen: string[] = [];
  let cursor: string | undefined;
  let calls = 0;
  do {
    batches = 0;
    const page = await service.list({ active: true }, { limit: 1, cursor });
    // Never more than 20 store pages for one call, whatever the filter skips.
    expect(batches).toBeLessThanOrEqual(20);
    expect(page.items.length).toBeLessThanOrEqual(1);
    seen.push(...page.items.map((t) => t.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && ++calls < 30);
  expect(seen.sort()).toEqual(live.sort());
});
