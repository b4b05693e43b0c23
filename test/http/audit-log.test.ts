/** The audit log through HTTP: events name actor, token id, route and request; GET /admin/v1/audit finds them. */
import request from 'supertest';
import { pino } from 'pino';
import { ADMIN_SECRET, startHarness, type Harness } from '../support/harness.js';
import { StoreAuditSink } from '../../src/core/audit.js';
import { MemoryStore } from '../../src/store/memory-store.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

describe.each([['memory', false], ['Redis', true]] as const)('on the %s store', (_name, redis) => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ redis });
    admin = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('reader', ['orders:read']);
    await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
  });
  afterAll(async () => { await h.stop(); });

  test('creating, using and revoking an API token leaves three events naming actor, token and route, found by token id', async () => {
    const c = await h.createClient({ client_id: `swap-${redis}`, grant_types: [EXCHANGE], scopes: ['orders:read'] });
    const created = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).set('User-Agent', 'audit-test/1').set('X-Request-Id', 'req-create-1')
      .send({ user: 'alice', name: 'ci', scopes: ['orders:read'] });
    expect(created.headers['x-request-id']).toBe('req-create-1');
    const id = created.body.id as string;
    await request(h.app).post('/oauth/token').auth(c.client_id, c.client_secret).type('form')
      .send({ grant_type: EXCHANGE, subject_token: created.body.token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' }).expect(200);
    await request(h.app).delete(`/admin/v1/api-tokens/${id}`).set('Authorization', admin).send({ reason: 'done' }).expect(200);
    await h.flushAudit();

    const res = await request(h.app).get(`/admin/v1/audit?token_id=${id}&order=asc`).set('Authorization', admin);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.items.map((e: { type: string }) => e.type)).toEqual(['api_token.created', 'api_token.used', 'api_token.revoked']);
    const [made, used, revoked] = res.body.items;
    expect(made).toMatchObject({
      id: expect.stringMatching(/^\d+-\d+$/), time: expect.any(String), actor: { type: 'client', id: 'tessera-admin' }, token_id: id,
      route: 'POST /admin/v1/api-tokens', request_id: 'req-create-1', user_agent: 'audit-test/1', ip: expect.stringMatching(/127\.0\.0\.1$/),
    });
    expect(used).toMatchObject({ actor: { type: 'client', id: c.client_id }, token_id: id, route: 'POST /oauth/token', detail: { purpose: 'token_exchange' } });
    expect(revoked).toMatchObject({ actor: { type: 'client', id: 'tessera-admin' }, token_id: id, route: `DELETE /admin/v1/api-tokens/${id}`, detail: { reason: 'done' } });
    expect(JSON.stringify(res.body)).not.toContain(created.body.token);

    // The issued JWT is an event too, naming the API token it came from.
    const issued = await request(h.app).get(`/admin/v1/audit?type=token.issued&actor=${c.client_id}`).set('Authorization', admin);
    expect(issued.body.items[0]).toMatchObject({ client_id: c.client_id, detail: { grant_type: EXCHANGE, api_token_id: id, scope: 'orders:read' } });
  });

  test('admin changes are events with their actor and subject', async () => {
    const u = await request(h.app).post('/admin/v1/users').set('Authorization', admin).send({ username: `bob-${redis}`, password: 'bob-password' });
    await request(h.app).patch(`/admin/v1/users/${u.body.id}`).set('Authorization', admin).send({ password: 'another-password' }).expect(200);
    await request(h.app).put('/admin/v1/roles/auditor').set('Authorization', admin).send({ scopes: ['audit:read'] }).expect(201);
    await request(h.app).post('/admin/v1/keys/rotate').set('Authorization', admin).expect(200);
    await h.flushAudit();
    const res = await request(h.app).get(`/admin/v1/audit?subject=${u.body.id}&order=asc`).set('Authorization', admin);
    expect(res.body.items.map((e: { type: string }) => e.type)).toEqual(['user.created', 'user.updated']);
    expect(res.body.items[1].detail).toEqual({ fields: ['password'], roles: [], disabled: false });
    expect(JSON.stringify(res.body)).not.toContain('another-password');
    const types = (await request(h.app).get('/admin/v1/audit?limit=200').set('Authorization', admin)).body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['role.created', 'key.rotated', 'client.created', 'token.issued']));
  });

  test('newest first by default; cursors page; since/until bound the time; export is JSON lines', async () => {
    const first = await request(h.app).get('/admin/v1/audit?limit=2').set('Authorization', admin);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0].id > first.body.items[1].id || first.body.items[0].id.length > first.body.items[1].id.length).toBe(true);
    const second = await request(h.app).get(`/admin/v1/audit?limit=2&cursor=${first.body.next_cursor}`).set('Authorization', admin);
    expect(second.body.items[0].id).not.toBe(first.body.items[1].id);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await request(h.app).get(`/admin/v1/audit?since=${future}`).set('Authorization', admin)).body).toEqual({ items: [], next_cursor: null });
    const exported = await request(h.app).get('/admin/v1/audit/export?type=token.issued').set('Authorization', admin);
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(exported.headers['content-disposition']).toBe('attachment; filename="tessera-audit.jsonl"');
    const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.type === 'token.issued')).toBe(true);
  });

  test('bad filters are 400, other methods 405', async () => {
    for (const q of ['since=yesterday', 'order=up', 'cursor=bm90LWFuLWlk', 'type=a&type=b', 'limit=500']) {
      const res = await request(h.app).get(`/admin/v1/audit?${q}`).set('Authorization', admin);
      expect([q, res.status, res.body.error]).toEqual([q, 400, 'invalid_request']);
    }
    expect((await request(h.app).post('/admin/v1/audit').set('Authorization', admin)).headers.allow).toBe('GET');
    expect((await request(h.app).delete('/admin/v1/audit/export').set('Authorization', admin)).status).toBe(405);
    const paged = await request(h.app).get('/admin/v1/audit/export?order=desc').set('Authorization', admin);
    expect(paged.body).toEqual({ error: 'invalid_request', error_description: 'order does not apply: the export answers every matching event, oldest first' });
  });
});

describe('request ids', () => {
  test('a sane X-Request-Id is echoed; anything else gets a fresh UUID', async () => {
    const h = await startHarness();
    try {
      expect((await request(h.app).get('/healthz').set('X-Request-Id', 'abc.123:x-y')).headers['x-request-id']).toBe('abc.123:x-y');
      for (const bad of ['has spaces', 'x'.repeat(129), '<script>']) {
        expect((await request(h.app).get('/healthz').set('X-Request-Id', bad)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect((await request(h.app).get('/healthz')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await h.stop();
    }
  });
});

describe('a failing audit write', () => {
  test('never fails or undoes a request that is not an admin action, and is logged', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (l: string) => { lines.push(l); } });
    const store = new MemoryStore();
    store.audit.append = async () => { throw new Error('disk full'); };
    const sink = new StoreAuditSink(store.audit, logger, 60_000);
    sink.record({ type: 'api_token.revoked', token_id: 'tok_x' });
    await sink.flush();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'audit write failed', audit: 'api_token.revoked', token_id: 'tok_x', err: 'Error: disk full' });
    await store.close();

    const h = await startHarness();
    try {
      (h.ctx.store.audit as MemoryStore['audit']).append = async () => { throw new Error('audit down'); };
      // token.issued cannot be written: the token is issued all the same.
      const res = await request(h.app).post('/oauth/token').auth('tessera-admin', ADMIN_SECRET).type('form').send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      // An admin action is the exception: it is not acknowledged without its event (admin-audit-durable.test.ts).
      const admin = await request(h.app).post('/admin/v1/users').set('Authorization', `Bearer ${res.body.access_token}`).send({ username: 'not-acknowledged', password: 'password-123' });
      expect(admin.status).toBe(503);
    } finally {
      await h.stop();
    }
  });
});
