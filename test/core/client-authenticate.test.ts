/**
 * ClientService.authenticate with a gate (the token endpoint's
 * failed-authentication limit): the gate runs alongside the record's lookup,
 * and when it refuses, its error wins before any secret is checked.
 */
import { jest } from '@jest/globals';
import { ClientService } from '../../src/core/clients/client-service.js';
import { InvalidClientError, RateLimitedError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/store/memory-store.js';

let store: MemoryStore;
let clients: ClientService;
let secret: string;

beforeEach(async () => {
  store = new MemoryStore();
  clients = new ClientService(store);
  const created = await clients.create({ client_id: 'svc', scopes: ['orders:read'] });
  secret = created.secret!;
});
afterEach(async () => { await store.close(); });

const basic = (s: string) => ({ method: 'client_secret_basic' as const, clientId: 'svc', secret: s });

test('a passing gate leaves authentication as it was: the right secret in, a wrong one invalid_client', async () => {
  await expect(clients.authenticate(basic(secret), Promise.resolve())).resolves.toMatchObject({ client_id: 'svc' });
  await expect(clients.authenticate(basic('wrong'), Promise.resolve())).rejects.toBeInstanceOf(InvalidClientError);
});

test('a refusing gate wins over a wrong secret and over a right one', async () => {
  const barred = () => Promise.reject(new RateLimitedError('the auth_failures rate limit is reached; retry after 5 s', 5));
  await expect(clients.authenticate(basic('wrong'), barred())).rejects.toBeInstanceOf(RateLimitedError);
  await expect(clients.authenticate(basic(secret), barred())).rejects.toBeInstanceOf(RateLimitedError);
});

test('the lookup does not wait for the gate to start: both are in flight together', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const get = jest.spyOn(store.clients, 'get');
  const pending = clients.authenticate(basic(secret), gate);
  expect(get).toHaveBeenCalledWith('svc');
  release();
  await expect(pending).resolves.toMatchObject({ client_id: 'svc' });
});
