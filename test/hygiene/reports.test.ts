/**
 * The reports people act on, through the admin API and /v1/me: least
 * privilege (scopes granted against scopes exercised, and narrowing to
 * them), unused tokens (with the policy's state), and tokens expiring soon
 * by owner. On an injected clock.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const DAY = 86_400_000;

let h: Harness;
let t: number;
let admin: string;
let svc: { client_id: string; client_secret: string };
let rs: { client_id: string; client_secret: string };
let alice: { id: string; username: string };
let bob: { id: string; username: string };

beforeEach(async () => {
  t = Date.now();
  h = await startHarness({ now: () => t });
  admin = `Bearer ${await h.adminToken()}`;
  await h.ctx.users.putRole('ops', ['orders:read', 'orders:write', 'billing:read', 'tessera:tokens']);
  alice = await h.ctx.users.create({ username: 'alice', password: 'a long password 123', roles: ['ops'] });
  bob = await h.ctx.users.create({ username: 'bob', password: 'a long password 123', roles: ['ops'] });
  svc = await h.createClient({
    client_id: 'svc', scopes: ['orders:read', 'orders:write', 'billing:read', 'tessera:tokens'], default_scopes: ['orders:read', 'orders:write'],
    grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
  });
  rs = await h.createClient({ client_id: 'resource-server' });
});
afterEach(async () => { await h.stop(); });

const get = (path: string, auth = admin) => request(h.app).get(path).set('Authorization', auth);
const post = (path: string, body?: object, auth = admin) => {
  const req = request(h.app).post(path).set('Authorization', auth);
  return body ? req.send(body) : req;
};
const createToken = async (user: string, scopes: string[], days = 60) =>
  (await post('/admin/v1/api-tokens', { user, name: `${user} ${scopes.join(' ')}`, scopes, expires_in: days * 86_400 }).expect(201)).body as { id: string; token: string };
/** A resource server introspects `token` for a request that needed `scope`. */
const introspect = (token: string, scope?: string) => request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form')
  .send({ token, route: 'GET /orders', ...(scope ? { scope } : {}) }).expect(200);
const exchange = (token: string, scope?: string) => request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
  .send({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token', ...(scope ? { scope } : {}) });
/** A user's own access token with tessera:tokens, as an app would get one (exchanged from an API token of theirs). */
const selfService = async (user: string) => {
  const own = await createToken(user, ['orders:read', 'tessera:tokens']);
  return `Bearer ${(await exchange(own.token, 'tessera:tokens').expect(200)).body.access_token}`;
};

describe('least privilege for API tokens', () => {
  test('the report compares granted scopes with the ones exercised in the window; narrowing keeps only those', async () => {
    const wide = await createToken('alice', ['orders:read', 'orders:write', 'billing:read']);
    const exact = await createToken('bob', ['orders:read']);
    await exchange(wide.token, 'orders:read').expect(200);
    await introspect(exact.token, 'orders:read');
    t += DAY;
    // A resource server says its route needed billing:read: exercised too.
    await introspect(wide.token, 'billing:read');

    const report = await get('/admin/v1/reports/least-privilege').expect(200);
    expect(report.body).toMatchObject({ window: 30 * 86_400, since: new Date(t - 30 * DAY).toISOString(), next_cursor: null });
    const item = report.body.items.find((i: { id: string }) => i.id === wide.id);
    expect(item).toEqual({
      kind: 'api_token', id: wide.id, name: 'alice orders:read orders:write billing:read', user: alice.id,
      granted: ['orders:read', 'orders:write', 'billing:read'],
      used: [{ scope: 'orders:read', last_used_at: new Date(t - DAY).toISOString() }, { scope: 'billing:read', last_used_at: new Date(t).toISOString() }],
      unused: ['orders:write'], last_used_at: new Date(t).toISOString(),
    });
    const excess = await get('/admin/v1/reports/least-privilege?excess_only=true').expect(200);
    expect(excess.body.items.map((i: { id: string }) => i.id)).toEqual([wide.id]);
    const bobs = await get('/admin/v1/reports/least-privilege?user=bob').expect(200);
    expect(bobs.body.items.map((i: { id: string; unused: string[] }) => [i.id, i.unused])).toEqual([[exact.id, []]]);
    // A shorter window leaves out what was exercised before it.
    const day = await get(`/admin/v1/reports/least-privilege?window=3600&user=alice`).expect(200);
    expect(day.body.items.find((i: { id: string }) => i.id === wide.id).unused).toEqual(['orders:read', 'orders:write']);

    const narrowed = await post(`/admin/v1/api-tokens/${wide.id}/narrow`).expect(200);
    expect(narrowed.body).toMatchObject({ removed: ['orders:write'], window: 30 * 86_400, token: { id: wide.id, scopes: ['orders:read', 'billing:read'], status: 'active' } });
    await h.flushAudit();
    expect(h.audit.events.filter((e) => e.type === 'api_token.narrowed')).toEqual([expect.objectContaining({
      token_id: wide.id, actor: { type: 'client', id: 'tessera-admin' }, detail: { window: 30 * 86_400, scopes: ['orders:read', 'billing:read'], removed: ['orders:write'] },
    })]);
    // The removed scope is gone for good; the kept ones still work.
    expect((await exchange(wide.token, 'orders:write')).body.error).toBe('invalid_scope');
    await exchange(wide.token, 'orders:read').expect(200);
    // Nothing left to remove: the same answer, no change.
    expect((await post(`/admin/v1/api-tokens/${wide.id}/narrow`).expect(200)).body.removed).toEqual([]);
  });

  test('with no scope exercised in the window, narrowing is refused; the report pages with excess_only', async () => {
    const idle = await createToken('alice', ['orders:read', 'orders:write']);
    await introspect(idle.token); // a use that says nothing about scopes
    expect((await post(`/admin/v1/api-tokens/${idle.id}/narrow`).expect(409)).body.error_description).toMatch(/none of its scopes was exercised/);
    await introspect(idle.token, 'orders:read');
    t += 31 * DAY;
    expect((await post(`/admin/v1/api-tokens/${idle.id}/narrow`, { window: 30 * 86_400 }).expect(409)).body.error).toBe('conflict');
    expect((await post(`/admin/v1/api-tokens/${idle.id}/narrow`, { window: 40 * 86_400 }).expect(200)).body.removed).toEqual(['orders:write']);

    for (let i = 0; i < 5; i++) await createToken('bob', ['orders:read', 'billing:read']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await get(`/admin/v1/reports/least-privilege?excess_only=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      seen.push(...page.body.items.map((i: { id: string }) => i.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    // Bob's five, and the idle token: its one scope was last exercised 31 days ago, outside the default window.
    expect(seen).toHaveLength(6);
    expect(seen).toContain(idle.id);
    await post(`/admin/v1/api-tokens/${idle.id}/narrow`, { window: 0 }).expect(400);
  });

  test('/v1/me: a user sees and narrows their own tokens only', async () => {
    const me = await selfService('alice');
    const mine = await createToken('alice', ['orders:read', 'orders:write']);
    const theirs = await createToken('bob', ['orders:read', 'orders:write']);
    await introspect(mine.token, 'orders:write');
    await introspect(theirs.token, 'orders:read');
    const report = await get('/v1/me/reports/least-privilege', me).expect(200);
    expect(report.body.items.every((i: { user: string }) => i.user === alice.id)).toBe(true);
    expect(report.body.items.find((i: { id: string }) => i.id === mine.id).unused).toEqual(['orders:read']);
    expect((await post(`/v1/me/api-tokens/${mine.id}/narrow`, {}, me).expect(200)).body.token.scopes).toEqual(['orders:write']);
    await post(`/v1/me/api-tokens/${theirs.id}/narrow`, {}, me).expect(404);
    await get('/v1/me/reports/least-privilege?kind=client', me).expect(400);
    await get('/v1/me/reports/least-privilege?user=bob', me).expect(400);
  });
});

describe('least privilege for clients', () => {
  test('a client\'s scopes exercised through its access tokens and Tessera\'s own API; narrowing takes its default scopes along', async () => {
    const access = await h.clientToken(svc.client_id, svc.client_secret, { scope: 'orders:read billing:read' });
    await introspect(access, 'orders:read');
    // The admin API's own scope counts for the admin client (the report request itself is a use).
    const report = await get('/admin/v1/reports/least-privilege?kind=client').expect(200);
    const byId = Object.fromEntries(report.body.items.map((i: { id: string }) => [i.id, i]));
    expect(byId.svc).toMatchObject({ kind: 'client', user: null, granted: ['orders:read', 'orders:write', 'billing:read', 'tessera:tokens'], unused: ['orders:write', 'billing:read', 'tessera:tokens'] });
    expect(byId.svc.used.map((u: { scope: string }) => u.scope)).toEqual(['orders:read']);
    expect(byId['tessera-admin']).toMatchObject({ used: [{ scope: 'tessera:admin', last_used_at: expect.any(String) }], unused: [] });
    expect(byId['resource-server']).toMatchObject({ granted: [], used: [], unused: [], last_used_at: null });

    const narrowed = await post('/admin/v1/clients/svc/narrow').expect(200);
    expect(narrowed.body).toMatchObject({ removed: ['orders:write', 'billing:read', 'tessera:tokens'], client: { client_id: 'svc', scopes: ['orders:read'], default_scopes: ['orders:read'] } });
    expect((await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form').send({ grant_type: 'client_credentials', scope: 'orders:write' })).body.error).toBe('invalid_scope');
    // The admin client keeps what it uses.
    expect((await post('/admin/v1/clients/tessera-admin/narrow').expect(200)).body.removed).toEqual([]);
    await post('/admin/v1/clients/resource-server/narrow').expect(409);
    await post('/admin/v1/clients/nobody/narrow').expect(404);
    await get('/admin/v1/reports/least-privilege?kind=client&user=alice').expect(400);
    await h.flushAudit();
    expect(h.audit.events.filter((e) => e.type === 'client.narrowed').map((e) => e.detail)).toEqual([
      { window: 30 * 86_400, scopes: ['orders:read'], removed: ['orders:write', 'billing:read', 'tessera:tokens'] },
    ]);
  });
});

describe('unused and expiring reports', () => {
  test('unused: tokens not used for the period, with the warning and the policy\'s date once the job has run', async () => {
    const idle = await createToken('alice', ['orders:read']);
    const busy = await createToken('bob', ['orders:read']);
    t += 20 * DAY;
    await introspect(busy.token);
    t += 15 * DAY;
    const report = await get('/admin/v1/reports/unused').expect(200);
    expect(report.body).toEqual({
      unused_for: 30 * 86_400, next_cursor: null,
      items: [{
        id: idle.id, name: 'alice orders:read', user: alice.id, username: 'alice', scopes: ['orders:read'],
        created_at: new Date(t - 35 * DAY).toISOString(), last_used_at: null, expires_at: new Date(t + 25 * DAY).toISOString(),
        unused_for: 35 * 86_400, warned_at: null, action: 'none', action_at: null,
      }],
    });
    await h.jobs.runOnce('api-token-unused');
    expect((await get('/admin/v1/reports/unused?unused_for=864000').expect(200)).body.items.map((i: { id: string; warned_at: string | null }) => [i.id, i.warned_at]))
      .toEqual([[idle.id, new Date(t).toISOString()], [busy.id, null]].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
    expect((await get('/admin/v1/reports/unused?user=bob').expect(200)).body.items).toEqual([]);
    const me = await selfService('alice');
    expect((await get('/v1/me/reports/unused', me).expect(200)).body.items.map((i: { id: string }) => i.id)).toEqual([idle.id]);
    await get('/admin/v1/reports/unused?unused_for=0').expect(400);
    await get('/v1/me/reports/unused?user=bob', me).expect(400);
  });

  test('expiring: tokens expiring within the period, grouped by owner, soonest first, paged over the expiry index', async () => {
    const a1 = await createToken('alice', ['orders:read'], 3);
    const b1 = await createToken('bob', ['orders:read'], 2);
    const a2 = await createToken('alice', ['orders:read'], 6);
    await createToken('alice', ['orders:read'], 30);
    const report = await get('/admin/v1/reports/expiring').expect(200);
    expect(report.body).toEqual({
      within: 7 * 86_400, until: new Date(t + 7 * DAY).toISOString(), next_cursor: null,
      owners: [
        { user: bob.id, username: 'bob', tokens: [{ id: b1.id, name: 'bob orders:read', scopes: ['orders:read'], expires_at: new Date(t + 2 * DAY).toISOString(), expires_in: 2 * 86_400, last_used_at: null }] },
        { user: alice.id, username: 'alice', tokens: [expect.objectContaining({ id: a1.id, expires_in: 3 * 86_400 }), expect.objectContaining({ id: a2.id, expires_in: 6 * 86_400 })] },
      ],
    });
    const first = await get('/admin/v1/reports/expiring?limit=2').expect(200);
    expect(first.body.owners.flatMap((o: { tokens: Array<{ id: string }> }) => o.tokens.map((x) => x.id))).toEqual([b1.id, a1.id]);
    const second = await get(`/admin/v1/reports/expiring?limit=2&cursor=${first.body.next_cursor}`).expect(200);
    expect(second.body).toMatchObject({ owners: [{ user: alice.id, tokens: [{ id: a2.id }] }], next_cursor: null });
    expect((await get('/admin/v1/reports/expiring?within=86400').expect(200)).body.owners).toEqual([]);
    expect((await get('/admin/v1/reports/expiring?user=alice&within=2592001').expect(200)).body.owners[0].tokens).toHaveLength(3);
    const me = await selfService('bob');
    expect((await get('/v1/me/reports/expiring', me).expect(200)).body.owners).toEqual([expect.objectContaining({ user: bob.id, tokens: [expect.objectContaining({ id: b1.id })] })]);
    await get('/admin/v1/reports/expiring?cursor=bm90LWEtY3Vyc29y').expect(400);
  });
});
