/**
 * Listing API tokens as a table does: search, status filter, sort and
 * paging (admin API and /v1/me), on memory and on Redis.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { sampleApiToken } from '../store/api-tokens-contract.js';
import { MAX_SORTED } from '../../src/core/api-tokens/api-token-service.js';

const DAY = 86_400_000;

describe.each([['memory', false], ['Redis', true]])('API-token lists on the %s store', (_name, redis) => {
  let h: Harness;
  let admin: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness({ redis });
    admin = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('member', ['orders:read', 'orders:write']);
    await h.ctx.users.create({ username: 'ann', password: 'ann-password', roles: ['member'] });
    await h.ctx.users.create({ username: 'ben', password: 'ben-password', roles: ['member'] });
    const make = async (user: string, name: string, extra: Record<string, unknown> = {}) => {
      const res = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin)
        .send({ user, name, scopes: ['orders:read'], ...extra });
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
      // Distinct creation times, so the created_at order is the order made here.
      await new Promise((r) => setTimeout(r, 3));
    };
    await make('ann', 'Deploy bot', { expires_in: 10 * 86_400, description: 'pushes releases' });
    await make('ann', 'backup job', { expires_in: 2 * 86_400 });
    await make('ben', 'CI runner', { expires_in: 30 * 86_400 });
    await make('ben', 'old laptop', { expires_in: 5 * 86_400 });
    await request(h.app).delete(`/admin/v1/api-tokens/${ids['old laptop']}`).set('Authorization', admin).send({ reason: 'lost' }).expect(200);
    await h.ctx.store.apiTokens.touch(ids['CI runner']!, Date.now() - DAY, '10.0.0.1');
    await h.ctx.store.apiTokens.touch(ids['backup job']!, Date.now() - 2 * DAY, '10.0.0.2');
  });
  afterAll(async () => { await h.stop(); });

  const list = (query: string) => request(h.app).get(`/admin/v1/api-tokens?${query}`).set('Authorization', admin);
  const names = (res: { body: { items: Array<{ name: string }> } }) => res.body.items.map((t) => t.name);

  test('search matches part of a name or description in any case, or an exact id', async () => {
    expect(names(await list('q=BOT'))).toEqual(['Deploy bot']);
    expect(names(await list('q=releases'))).toEqual(['Deploy bot']);
    expect(names(await list(`q=${ids['CI runner']}`))).toEqual(['CI runner']);
    expect(names(await list('q=nothing-like-it'))).toEqual([]);
  });

  test('status filters active, expired or revoked; it combines with user and search', async () => {
    expect(names(await list('status=revoked'))).toEqual(['old laptop']);
    expect(names(await list('status=active&user=ben'))).toEqual(['CI runner']);
    expect(names(await list('status=expired'))).toEqual([]);
    expect(names(await list('status=active&q=o&sort=name'))).toEqual(['backup job', 'Deploy bot']);
  });

  test('sort by each field, both ways; never used sorts as earliest', async () => {
    expect(names(await list('sort=created_at'))).toEqual(['old laptop', 'CI runner', 'backup job', 'Deploy bot']);
    expect(names(await list('sort=created_at&order=asc'))).toEqual(['Deploy bot', 'backup job', 'CI runner', 'old laptop']);
    expect(names(await list('sort=name'))).toEqual(['backup job', 'CI runner', 'Deploy bot', 'old laptop']);
    expect(names(await list('sort=expires_at&order=asc&status=active'))).toEqual(['backup job', 'Deploy bot', 'CI runner']);
    expect(names(await list('sort=last_used_at&user=ann'))).toEqual(['backup job', 'Deploy bot']);
    expect(names(await list('sort=last_used_at&order=asc&status=active'))).toEqual(['Deploy bot', 'backup job', 'CI runner']);
  });

  test('sorted pages follow a keyset cursor: full pages, nothing twice, nothing skipped when a token is added meanwhile', async () => {
    const first = await list('sort=name&limit=2');
    expect(names(first)).toEqual(['backup job', 'CI runner']);
    // A token that sorts before the cursor does not shift the next page.
    await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: 'ann', name: 'aaa first', scopes: ['orders:read'] }).expect(201);
    const second = await list(`sort=name&limit=2&cursor=${first.body.next_cursor}`);
    expect(names(second)).toEqual(['Deploy bot', 'old laptop']);
    expect(second.body.next_cursor).toBeNull();
  });

  test('order needs sort; a cursor of another sort or order is refused', async () => {
    const noSort = await list('order=asc');
    expect(noSort.status).toBe(400);
    expect(noSort.body).toEqual({ error: 'invalid_request', error_description: 'order applies only with sort' });
    const first = await list('sort=name&limit=1');
    const other = await list(`sort=created_at&limit=1&cursor=${first.body.next_cursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error_description).toBe('cursor is not valid for this sort and order');
    expect((await list('sort=name&cursor=bm90LWpzb24')).status).toBe(400);
    for (const bad of ['sort=owner', 'status=gone', 'q=', `q=${'x'.repeat(101)}`]) expect((await list(bad)).status).toBe(400);
  });

  test('a user lists their own tokens with the same search, filters and sort', async () => {
    await h.ctx.users.putRole('member', ['orders:read', 'orders:write', 'tessera:tokens']);
    const { token } = await h.ctx.apiTokens.create({ user: 'ann', name: 'console', scopes: ['orders:read', 'tessera:tokens'] }, { actor: { type: 'client', id: 'test' } });
    const ex = await h.createClient({ grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], scopes: ['orders:read', 'tessera:tokens'] });
    const bearer = (await request(h.app).post('/oauth/token').auth(ex.client_id, ex.client_secret).type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token',
    }).expect(200)).body.access_token as string;
    const res = await request(h.app).get('/v1/me/api-tokens?sort=name&q=o&status=active').set('Authorization', `Bearer ${bearer}`);
    expect(res.status).toBe(200);
    // ann's, not ben's "CI runner"; "aaa first" has no o.
    expect(names(res)).toEqual(['backup job', 'console', 'Deploy bot']);
  });
});

test(`a sorted list reads at most ${MAX_SORTED} tokens, and says how to narrow it`, async () => {
  const h = await startHarness();
  try {
    const now = Date.now();
    for (let i = 0; i <= MAX_SORTED; i++) {
      await h.ctx.store.apiTokens.create(sampleApiToken(`tok_${String(i).padStart(16, '0')}`, { user_id: 'usr_many', secret_hash: `h${i}`, purge_at: now + DAY }), now);
    }
    const auth = `Bearer ${await h.adminToken()}`;
    const res = await request(h.app).get('/admin/v1/api-tokens?sort=name').set('Authorization', auth);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: `more than ${MAX_SORTED} tokens to sort: narrow the list with user, or leave out sort` });
    // Unsorted, the same list pages as ever.
    expect((await request(h.app).get('/admin/v1/api-tokens?limit=5').set('Authorization', auth)).body.items).toHaveLength(5);
  } finally {
    await h.stop();
  }
});
