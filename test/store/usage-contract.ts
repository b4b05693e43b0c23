/** Token usage records: behaviour every Store must have (memory and a real Redis). */
import type { Store } from '../../src/store/store.js';
import { MAX_ROUTES, OTHER_ROUTES } from '../../src/store/usage-records.js';
import { sleep } from './store-contract.js';

export function describeUsageContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Usage contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('counts uses per route and keeps the last use', async () => {
      const exp = Date.now() + 60_000;
      await store.usage.record('api_token:tok_1', { route: 'GET /orders', ip: '192.0.2.1', atMs: 1000 }, exp);
      await store.usage.record('api_token:tok_1', { route: 'GET /orders', ip: '192.0.2.2', atMs: 2000 }, exp);
      await store.usage.record('api_token:tok_1', { route: 'POST /orders', ip: '192.0.2.3', atMs: 3000 }, exp);
      expect(await store.usage.get('api_token:tok_1')).toEqual({ last_used_at: 3000, last_used_ip: '192.0.2.3', routes: { 'GET /orders': 2, 'POST /orders': 1 }, scopes: {} });
      expect(await store.usage.get('api_token:tok_2')).toBeNull();
    });

    test(`keeps at most ${MAX_ROUTES} routes; the rest are counted together`, async () => {
      const exp = Date.now() + 60_000;
      for (let i = 0; i < MAX_ROUTES + 3; i++) await store.usage.record('k', { route: `GET /r${i}`, ip: '::1', atMs: i }, exp);
      await store.usage.record('k', { route: 'GET /r0', ip: '::1', atMs: 99 }, exp);
      const u = (await store.usage.get('k'))!;
      expect(Object.keys(u.routes)).toHaveLength(MAX_ROUTES + 1);
      expect(u.routes[OTHER_ROUTES]).toBe(3);
      expect(u.routes['GET /r0']).toBe(2);
    });

    test('notes when each scope was last exercised, apart from the route counts', async () => {
      const exp = Date.now() + 60_000;
      await store.usage.record('client:svc', { route: 'GET /orders', ip: '::1', atMs: 1000, scopes: ['orders:read'] }, exp);
      await store.usage.record('client:svc', { route: 'POST /orders', ip: '::1', atMs: 2000, scopes: ['orders:read', 'orders:write'] }, exp);
      await store.usage.record('client:svc', { route: 'GET /orders', ip: '::1', atMs: 3000, scopes: [] }, exp);
      await store.usage.record('client:svc', { route: 'GET /orders', ip: '::1', atMs: 4000 }, exp);
      expect(await store.usage.get('client:svc')).toEqual({
        last_used_at: 4000, last_used_ip: '::1', routes: { 'GET /orders': 3, 'POST /orders': 1 }, scopes: { 'orders:read': 2000, 'orders:write': 2000 },
      });
      // Scopes do not count against the route bound.
      for (let i = 0; i < 30; i++) await store.usage.record('many', { route: 'GET /', ip: '::1', atMs: i, scopes: [`s${i}`] }, exp);
      for (let i = 0; i < MAX_ROUTES; i++) await store.usage.record('many', { route: `GET /r${i}`, ip: '::1', atMs: 99 }, exp);
      const u = (await store.usage.get('many'))!;
      expect(Object.keys(u.scopes)).toHaveLength(30);
      expect(Object.keys(u.routes)).toHaveLength(MAX_ROUTES + 1);
      expect(u.routes[OTHER_ROUTES]).toBe(1);
    });

    test('a later write never shortens a record\'s life', async () => {
      const now = Date.now();
      await store.usage.record('api_token:tok_long', { route: 'POST /oauth/token', ip: '::1', atMs: now }, now + 60_000);
      await store.usage.record('api_token:tok_long', { route: 'GET /orders', ip: '::1', atMs: now, scopes: ['a'] }, now + 150);
      await sleep(250);
      expect((await store.usage.get('api_token:tok_long'))?.scopes).toEqual({ a: now });
    });

    test('adds a tally of many uses in one write: counts per route, the latest use, each scope\'s latest time', async () => {
      const exp = Date.now() + 60_000;
      await store.usage.record('client:svc', { route: 'GET /orders', ip: '192.0.2.1', atMs: 5000, scopes: ['orders:read'] }, exp);
      await store.usage.add('client:svc', { routes: { 'GET /orders': 40, 'POST /orders': 2 }, scopes: { 'orders:read': 4000, 'orders:write': 4500 }, atMs: 4500, ip: '192.0.2.9', expiresAtMs: exp });
      // An older tally (another instance's, late) adds its counts but turns back neither the last use nor a scope's time.
      expect(await store.usage.get('client:svc')).toEqual({
        last_used_at: 5000, last_used_ip: '192.0.2.1', routes: { 'GET /orders': 41, 'POST /orders': 2 }, scopes: { 'orders:read': 5000, 'orders:write': 4500 },
      });
      await store.usage.add('client:svc', { routes: { 'GET /orders': 1 }, scopes: { 'orders:write': 6000 }, atMs: 6000, ip: '192.0.2.7', expiresAtMs: exp });
      expect(await store.usage.get('client:svc')).toEqual({
        last_used_at: 6000, last_used_ip: '192.0.2.7', routes: { 'GET /orders': 42, 'POST /orders': 2 }, scopes: { 'orders:read': 5000, 'orders:write': 6000 },
      });
    });

    test(`a tally keeps the bound of ${MAX_ROUTES} routes, its extra routes' counts summed under the rest`, async () => {
      const exp = Date.now() + 60_000;
      for (let i = 0; i < MAX_ROUTES - 1; i++) await store.usage.record('t', { route: `GET /r${i}`, ip: '::1', atMs: i }, exp);
      await store.usage.add('t', { routes: { 'GET /r0': 5, 'GET /new1': 3, 'GET /new2': 4, 'GET /new3': 6 }, scopes: {}, atMs: 100, ip: '::1', expiresAtMs: exp });
      const u = (await store.usage.get('t'))!;
      expect(Object.keys(u.routes)).toHaveLength(MAX_ROUTES + 1);
      expect(u.routes['GET /r0']).toBe(6);
      expect(u.routes['GET /new1']).toBe(3);
      expect(u.routes[OTHER_ROUTES]).toBe(10);
    });

    test('a tally never shortens a record\'s life, and one already expired is not written', async () => {
      const now = Date.now();
      await store.usage.add('api_token:tok_t', { routes: { 'GET /': 1 }, scopes: {}, atMs: now, ip: '::1', expiresAtMs: now + 60_000 });
      await store.usage.add('api_token:tok_t', { routes: { 'GET /': 1 }, scopes: {}, atMs: now, ip: '::1', expiresAtMs: now + 150 });
      await store.usage.add('gone', { routes: { 'GET /': 1 }, scopes: {}, atMs: now, ip: '::1', expiresAtMs: now });
      await sleep(250);
      expect((await store.usage.get('api_token:tok_t'))?.routes).toEqual({ 'GET /': 2 });
      expect(await store.usage.get('gone')).toBeNull();
    });

    test('a record expires with its token', async () => {
      await store.usage.record('short', { route: 'GET /', ip: '::1', atMs: Date.now() }, Date.now() + 150);
      expect(await store.usage.get('short')).not.toBeNull();
      await sleep(250);
      expect(await store.usage.get('short')).toBeNull();
    });
  });
}
