/**
 * ClientAuthenticator on the memory store: what each kind of attempt reads,
 * writes and costs. The HTTP-level attacks are in
 * test/http/client-auth-attacks.test.ts.
 */
import { jest } from '@jest/globals';
import { ClientService } from '../../src/core/clients/client-service.js';
import { ClientAuthenticator } from '../../src/core/clients/client-authenticator.js';
import { ClaimedIdentifiers } from '../../src/core/claimed-identifiers.js';
import { MemoryAuditSink } from '../../src/core/audit.js';
import { RateLimits } from '../../src/core/rate-limits.js';
import { InvalidClientError, RateLimitedError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { cheapHasher } from '../support/passwords.js';
import { ClientAssertions } from '../../src/core/clients/client-assertions.js';
import { KeySources } from '../../src/core/jwks/key-source.js';
import { RemoteKeySets } from '../../src/core/jwks/remote-key-sets.js';
import { IssuerDiscovery } from '../../src/core/jwks/issuer-discovery.js';

const RULE = { requests: 3, perSeconds: 60 };
let store: MemoryStore;
let auth: ClientAuthenticator;
let hasher: ReturnType<typeof cheapHasher>;
let audit: MemoryAuditSink;
let generated: string;

beforeEach(async () => {
  store = new MemoryStore();
  hasher = cheapHasher();
  audit = new MemoryAuditSink();
  const clients = new ClientService(store, hasher);
  generated = (await clients.create({ client_id: 'svc', scopes: [] })).secret!;
  await clients.create({ client_id: 'typed', client_secret: 'a typed secret', scopes: [] });
  const limits = new RateLimits(store, { client: RULE, authFailures: RULE, apiToken: RULE }, audit);
  const assertions = new ClientAssertions(new KeySources(new RemoteKeySets(), new IssuerDiscovery()), store.replay, 'http://tessera.test', { maxLifetimeSeconds: 600, clockSkewSeconds: 60 });
  auth = new ClientAuthenticator(store, hasher, limits, audit, new ClaimedIdentifiers(Buffer.alloc(32, 7)), assertions);
});
afterEach(async () => { await store.close(); });

const basic = (clientId: string, secret: string) => ({ method: 'client_secret_basic' as const, clientId, secret });
/** Attempts the address has left (peek answers as if taking one: a full allowance of 3 shows 2). */
const left = async (ip: string) => (await store.rateLimits.peek(`auth_failures:${ip}`, RULE, Date.now())).allowed
  ? (await store.rateLimits.peek(`auth_failures:${ip}`, RULE, Date.now())).remaining + 1 : 0;

test('the record and the address\'s failure count are read together, before either answers', async () => {
  const get = jest.spyOn(store.clients, 'get');
  const peek = jest.spyOn(store.rateLimits, 'peek');
  const pending = auth.authenticate(basic('svc', generated), '192.0.2.1');
  expect(get).toHaveBeenCalledWith('svc');
  expect(peek).toHaveBeenCalledWith('auth_failures:192.0.2.1', RULE, expect.any(Number));
  await expect(pending).resolves.toMatchObject({ client_id: 'svc' });
});

test('a right generated secret writes no counter and computes no slow hash', async () => {
  const take = jest.spyOn(store.rateLimits, 'take');
  const hashes = hasher.counts.hashes;
  await expect(auth.authenticate(basic('svc', generated), '192.0.2.1')).resolves.toMatchObject({ client_id: 'svc' });
  expect(take).not.toHaveBeenCalled();
  expect(hasher.counts.hashes).toBe(hashes);
});

test('a right chosen secret reserves an attempt, checks, and gives the attempt back', async () => {
  const take = jest.spyOn(store.rateLimits, 'take');
  const refund = jest.spyOn(store.rateLimits, 'refund');
  await expect(auth.authenticate(basic('typed', 'a typed secret'), '192.0.2.2')).resolves.toMatchObject({ client_id: 'typed' });
  expect(take).toHaveBeenCalledTimes(1);
  expect(refund).toHaveBeenCalledTimes(1);
  expect(await left('192.0.2.2')).toBe(3);
});

test('an address over its allowance is refused before any secret is checked, right or wrong', async () => {
  for (let i = 0; i < 3; i++) await expect(auth.authenticate(basic('typed', `wrong-${i}`), '192.0.2.3')).rejects.toBeInstanceOf(InvalidClientError);
  const hashes = hasher.counts.hashes;
  await expect(auth.authenticate(basic('typed', 'a typed secret'), '192.0.2.3')).rejects.toBeInstanceOf(RateLimitedError);
  await expect(auth.authenticate(basic('svc', generated), '192.0.2.3')).rejects.toBeInstanceOf(RateLimitedError);
  await expect(auth.authenticate(basic('nobody', 'x'), '192.0.2.3')).rejects.toBeInstanceOf(RateLimitedError);
  expect(hasher.counts.hashes).toBe(hashes);
});

test('a public client names itself; a confidential or unknown one naming itself without a secret fails and counts', async () => {
  await store.clients.create({ ...(await store.clients.get('svc'))!, client_id: 'spa', public: true, secret_hash: null });
  await expect(auth.authenticate({ method: 'none', clientId: 'spa', secret: null }, '192.0.2.4')).resolves.toMatchObject({ client_id: 'spa' });
  await expect(auth.authenticate({ method: 'none', clientId: 'svc', secret: null }, '192.0.2.4')).rejects.toBeInstanceOf(InvalidClientError);
  await expect(auth.authenticate({ method: 'none', clientId: 'ghost', secret: null }, '192.0.2.4')).rejects.toBeInstanceOf(InvalidClientError);
  expect(await left('192.0.2.4')).toBe(1);
  expect(audit.events.map((e) => [e.client_id, e.detail])).toEqual([
    ['svc', { method: 'none' }],
    [null, { method: 'none', client_id_fingerprint: expect.stringMatching(/^fp_/) }],
  ]);
});

test('an existing client whose id is shaped like a Tessera token is still recorded only as a fingerprint', async () => {
  const tokenShaped = `tsp_${'A'.repeat(38)}`;
  await store.clients.create({ ...(await store.clients.get('svc'))!, client_id: tokenShaped });
  await expect(auth.authenticate(basic(tokenShaped, 'wrong'), '192.0.2.5')).rejects.toBeInstanceOf(InvalidClientError);
  expect(audit.events[0]).toMatchObject({ client_id: null, detail: { client_id_fingerprint: expect.stringMatching(/^fp_/) } });
});
