/**
 * /admin/v1/audit and /admin/v1/audit/export driven through every status
 * that openapi.yaml documents for them, each answer checked against the
 * spec. Events come first from the admin API (a role, a user, API tokens
 * created and revoked), so the list and export bodies are not empty. The
 * export is NDJSON, which the validator does not parse: each line is checked
 * against the AuditEvent schema here. The last block closes the store (503s).
 */
import request from 'supertest';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, openApiAjv, unexercised } from '../support/openapi.js';

const LIST = '/admin/v1/audit';
const EXPORT = '/admin/v1/audit/export';
const REQUEST_ID = 'spec-audit:create.1';

interface Event {
  id: string;
  time: string;
  type: string;
  actor: { type: string; id: string | null } | null;
  subject: string | null;
  token_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  route: string | null;
  detail: Record<string, unknown>;
}

let h: Harness;
let admin: string;
let reader: string;
let userId: string;
/** Created with X-Request-Id REQUEST_ID, then revoked. */
let revokedTokenId: string;
/** The secrets the server handed out: never in an event. */
const secrets: string[] = [];
/** Every event up to here is before this instant (`until`), every later one at or after it. */
let cutoff: string;
let validateEvent: ValidateFunction;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};
/** The export: buffered as text whatever the content type (superagent does not buffer unknown types by default). */
const exportCall = (query = '', auth: string | null = admin) => call('get', `${EXPORT}${query}`, auth).buffer(true);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses an NDJSON export; every line must be an AuditEvent per the spec. */
function lines(text: string): Event[] {
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((line) => {
    const event = JSON.parse(line) as Event;
    if (!validateEvent(event)) throw new Error(`export line does not match AuditEvent: ${JSON.stringify(validateEvent.errors)}\n  ${line}`);
    return event;
  });
}

/** Stream ids compare by milliseconds, then sequence. */
const compareIds = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
};
const ascending = (ids: string[]) => ids.every((id, i) => i === 0 || compareIds(ids[i - 1]!, id) < 0);

/** Every event of a listing, following next_cursor until null. */
async function all(query: string): Promise<Event[]> {
  const out: Event[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await hit(call('get', `${LIST}?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 200);
    out.push(...(res.body.items as Event[]));
    cursor = res.body.next_cursor;
    if (cursor === null) return out;
  }
  throw new Error('next_cursor never became null');
}

beforeAll(async () => {
  h = await startHarness();
  validateEvent = openApiAjv().compile({ $ref: 'openapi.yaml#/components/schemas/AuditEvent' });
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'audit-reader', scopes: ['orders:read'] });
  secrets.push(r.client_secret);
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;

  await hit(call('put', '/admin/v1/roles/auditee').send({ scopes: ['orders:read'] }), 201);
  const user = await hit(call('post', '/admin/v1/users').send({ username: 'auditee', password: 'auditee-password', roles: ['auditee'] }), 201);
  userId = user.body.id;
  secrets.push('auditee-password');

  const created = await hit(call('post', '/admin/v1/api-tokens').set('X-Request-Id', REQUEST_ID).set('User-Agent', 'spec-agent/1.0')
    .send({ user: userId, name: 'audited', scopes: ['orders:read'] }), 201);
  expect(created.headers['x-request-id']).toBe(REQUEST_ID);
  revokedTokenId = created.body.id;
  secrets.push(created.body.token);
  await hit(call('delete', `/admin/v1/api-tokens/${revokedTokenId}`).send({ reason: 'audit spec' }), 200);
  for (const name of ['second', 'third']) {
    secrets.push((await hit(call('post', '/admin/v1/api-tokens').send({ user: userId, name, scopes: ['orders:read'] }), 201)).body.token);
  }

  await h.flushAudit();
  await sleep(5);
  cutoff = new Date().toISOString();
  await sleep(5);
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const OPERATIONS: Array<[Method, string]> = [['get', LIST], ['get', EXPORT]];

test('bearer and transport errors on both operations: 401, 400, 403, 413, 415', async () => {
  for (const [method, path] of OPERATIONS) {
    await hit(call(method, path, null), 401);
    await hit(call(method, path, 'Bearer not.a.jwt'), 401);
    await hit(call(method, path, 'Basic YTpi'), 400);
    const forbidden = await hit(call(method, path, reader), 403);
    expect(forbidden.headers['www-authenticate']).toContain('scope="tessera:admin"');
    await hit(call(method, path).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
    await hit(call(method, path).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
  }
});

test('405 with Allow: GET for other methods', async () => {
  for (const path of [LIST, EXPORT]) {
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const res = await hit(call(method, path), 405);
      expect(res.headers.allow).toBe('GET');
      expect(res.body.error).toBe('method_not_allowed');
    }
  }
});

test('every answer carries X-Request-Id: the caller\'s sane one, else a generated UUID', async () => {
  expect((await hit(call('get', `${LIST}?limit=1`).set('X-Request-Id', 'abc-123'), 200)).headers['x-request-id']).toBe('abc-123');
  expect((await hit(call('get', LIST, null).set('X-Request-Id', 'abc-124'), 401)).headers['x-request-id']).toBe('abc-124');
  expect((await hit(call('put', LIST).set('X-Request-Id', 'abc-125'), 405)).headers['x-request-id']).toBe('abc-125');
  expect((await hit(exportCall('?type=api_token.revoked').set('X-Request-Id', 'abc-126'), 200)).headers['x-request-id']).toBe('abc-126');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
    expect((await hit(call('get', `${LIST}?limit=1`).set('X-Request-Id', bad), 200)).headers['x-request-id']).toMatch(uuid);
  }
  expect((await hit(call('get', `${LIST}?limit=1`), 200)).headers['x-request-id']).toMatch(uuid);
});

describe('list', () => {
  test('200: newest first by default, the admin actions recorded as documented, never a secret', async () => {
    const res = await hit(call('get', `${LIST}?limit=200&until=${cutoff}`), 200);
    const items = res.body.items as Event[];
    expect(items.length).toBeGreaterThan(0);
    expect(ascending(items.map((e) => e.id).reverse())).toBe(true);
    for (const secret of secrets) expect(res.text).not.toContain(secret);

    const types = items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['client.created', 'role.created', 'user.created', 'api_token.created', 'api_token.revoked']));
    expect(items.find((e) => e.type === 'role.created')).toMatchObject({ actor: { type: 'client', id: 'tessera-admin' }, subject: 'auditee' });
    expect(items.find((e) => e.type === 'client.created')).toMatchObject({ subject: 'audit-reader' });
    const created = items.find((e) => e.type === 'api_token.created' && e.token_id === revokedTokenId);
    expect(created).toMatchObject({
      actor: { type: 'client', id: 'tessera-admin' },
      subject: userId,
      token_id: revokedTokenId,
      request_id: REQUEST_ID,
      user_agent: 'spec-agent/1.0',
      route: 'POST /admin/v1/api-tokens',
      ip: expect.any(String),
    });
    expect(items.find((e) => e.type === 'api_token.revoked' && e.token_id === revokedTokenId)).toMatchObject({
      actor: { type: 'client', id: 'tessera-admin' },
      subject: userId,
      route: `DELETE /admin/v1/api-tokens/${revokedTokenId}`,
    });
    expect(items.find((e) => e.type === 'user.created')).toMatchObject({ subject: userId });
  });

  test('200 with each filter; order=asc is oldest first', async () => {
    const byType = await hit(call('get', `${LIST}?type=api_token.created`), 200);
    expect(byType.body.items.length).toBeGreaterThanOrEqual(3);
    expect(byType.body.items.every((e: Event) => e.type === 'api_token.created')).toBe(true);

    const byToken = await all(`token_id=${revokedTokenId}`);
    expect(byToken.map((e) => e.type).sort()).toEqual(['api_token.created', 'api_token.revoked']);
    expect(byToken.every((e) => e.token_id === revokedTokenId)).toBe(true);

    const bySubject = await all(`subject=${userId}`);
    expect(bySubject.length).toBeGreaterThanOrEqual(5);
    expect(bySubject.every((e) => e.subject === userId)).toBe(true);

    const byActor = await all(`actor=tessera-admin&until=${cutoff}`);
    expect(byActor.length).toBeGreaterThanOrEqual(6);
    expect(byActor.every((e) => e.actor?.id === 'tessera-admin')).toBe(true);
    expect(await all('actor=nobody-at-all')).toEqual([]);

    const asc = await hit(call('get', `${LIST}?order=asc&limit=200&until=${cutoff}`), 200);
    const desc = await hit(call('get', `${LIST}?order=desc&limit=200&until=${cutoff}`), 200);
    const ascIds = asc.body.items.map((e: Event) => e.id);
    expect(ascending(ascIds)).toBe(true);
    expect(desc.body.items.map((e: Event) => e.id)).toEqual([...ascIds].reverse());

    // since is inclusive, until exclusive.
    const revoked = byToken.find((e) => e.type === 'api_token.revoked')!;
    expect((await all(`token_id=${revokedTokenId}&since=${revoked.time}`)).map((e) => e.id)).toContain(revoked.id);
    expect((await all(`token_id=${revokedTokenId}&until=${revoked.time}`)).map((e) => e.id)).not.toContain(revoked.id);
    expect(await all(`since=${cutoff}&until=${cutoff}`)).toEqual([]);
    const after = await all(`since=${cutoff}&type=api_token.created`);
    expect(after).toEqual([]);
    const before = await all(`until=${cutoff}&type=api_token.created`);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.every((e) => e.time < cutoff)).toBe(true);
  });

  test('200 pages: following next_cursor gives every event once, in order', async () => {
    for (const order of ['asc', 'desc']) {
      const whole = (await hit(call('get', `${LIST}?order=${order}&limit=200&until=${cutoff}`), 200)).body.items.map((e: Event) => e.id);
      const first = await hit(call('get', `${LIST}?order=${order}&limit=2&until=${cutoff}`), 200);
      expect(first.body.items.length).toBeLessThanOrEqual(2);
      expect(typeof first.body.next_cursor).toBe('string');
      const paged = (await all(`order=${order}&limit=2&until=${cutoff}`)).map((e) => e.id);
      expect(paged).toEqual(whole);
    }
    const typed = (await all('type=api_token.created&limit=1')).map((e) => e.id);
    expect(new Set(typed).size).toBe(typed.length);
    expect(typed.length).toBeGreaterThanOrEqual(3);
  });

  test('HEAD answers like GET, without a body', async () => {
    const res = await hit(call('head', `${LIST}?limit=1`), 200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('400 invalid_request for a bad or repeated query value', async () => {
    for (const q of [
      'limit=0', 'limit=201', 'limit=x', 'order=sideways', 'since=yesterday', 'until=2026-13-01T00:00:00Z',
      'type=a&type=b', 'actor=a&actor=b', 'subject=a&subject=b', 'token_id=a&token_id=b', 'order=asc&order=desc',
      'limit=1&limit=2', 'cursor=a&cursor=b', 'cursor=not-a-cursor',
    ]) {
      const res = await hit(call('get', `${LIST}?${q}`), 400);
      expect({ q, error: res.body.error }).toEqual({ q, error: 'invalid_request' });
    }
    await hit(call('get', LIST).set('Content-Type', 'application/json').send('{"x":'), 400);
  });
});

describe('export', () => {
  test('200 NDJSON attachment, oldest first, each line an AuditEvent; the same events as the list', async () => {
    const res = await hit(exportCall(`?until=${cutoff}`), 200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson(;|$)/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="tessera-audit.jsonl"');
    expect(res.headers['cache-control']).toBe('no-store');
    const events = lines(res.text);
    expect(events.length).toBeGreaterThan(0);
    expect(ascending(events.map((e) => e.id))).toBe(true);
    for (const secret of secrets) expect(res.text).not.toContain(secret);
    const listed = await all(`order=asc&limit=200&until=${cutoff}`);
    expect(events).toEqual(listed);
  });

  test('200 with each filter, and an empty body when nothing matches', async () => {
    const revoked = lines((await hit(exportCall(`?type=api_token.revoked&token_id=${revokedTokenId}`), 200)).text);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ type: 'api_token.revoked', token_id: revokedTokenId, subject: userId, actor: { type: 'client', id: 'tessera-admin' } });

    const bySubject = lines((await hit(exportCall(`?subject=${userId}&actor=tessera-admin&since=1970-01-01T00:00:00Z&until=${cutoff}`), 200)).text);
    expect(bySubject.length).toBeGreaterThanOrEqual(5);
    expect(bySubject.every((e) => e.subject === userId && e.actor?.id === 'tessera-admin')).toBe(true);

    const none = await hit(exportCall('?type=nothing.happened'), 200);
    expect(none.text).toBe('');
    expect(lines(none.text)).toEqual([]);
    expect(lines((await hit(exportCall(`?since=${cutoff}&until=${cutoff}`), 200)).text)).toEqual([]);
  });

  test('400 invalid_request for a bad or repeated filter', async () => {
    for (const q of ['since=yesterday', 'until=not-a-date', 'type=a&type=b', 'actor=a&actor=b', 'since=2026-01-01T00:00:00Z&since=2026-01-02T00:00:00Z']) {
      const res = await hit(exportCall(`?${q}`), 400);
      expect({ q, error: res.body.error }).toEqual({ q, error: 'invalid_request' });
    }
  });
});

describe('on the Redis store (real stream ids)', () => {
  let r: Harness;
  let rAdmin: string;
  beforeAll(async () => {
    r = await startHarness({ redis: true });
    rAdmin = `Bearer ${await r.adminToken()}`;
    const u = await hit(request(r.app).post('/admin/v1/users').set('Authorization', rAdmin).send({ username: 'redis-auditee', password: 'auditee-password' }), 201);
    await hit(request(r.app).put('/admin/v1/roles/redis-role').set('Authorization', rAdmin).send({ scopes: ['orders:read'] }), 201);
    await hit(request(r.app).patch(`/admin/v1/users/${u.body.id}`).set('Authorization', rAdmin).send({ roles: ['redis-role'] }), 200);
    const t = await hit(request(r.app).post('/admin/v1/api-tokens').set('Authorization', rAdmin).send({ user: u.body.id, name: 'r', scopes: ['orders:read'] }), 201);
    await hit(request(r.app).delete(`/admin/v1/api-tokens/${t.body.id}`).set('Authorization', rAdmin), 200);
    await r.flushAudit();
  });
  afterAll(async () => { await r.stop().catch(() => undefined); });

  test('list pages and the export match the spec and each other', async () => {
    const paged: Event[] = [];
    let cursor: string | null = null;
    do {
      const res = await hit(request(r.app).get(`${LIST}?order=asc&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).set('Authorization', rAdmin), 200);
      paged.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    expect(paged.map((e) => e.type)).toEqual(expect.arrayContaining(['user.created', 'role.created', 'user.updated', 'api_token.created', 'api_token.revoked']));
    expect(ascending(paged.map((e) => e.id))).toBe(true);
    const exported = lines((await hit(request(r.app).get(EXPORT).set('Authorization', rAdmin).buffer(true), 200)).text);
    expect(exported).toEqual(paged);
  });
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('both operations are 503 temporarily_unavailable with Retry-After', async () => {
    for (const res of [await hit(call('get', LIST), 503), await hit(exportCall(), 503)]) {
      expect(res.body.error).toBe('temporarily_unavailable');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
  });
});

test('every documented operation and status under /admin/v1/audit was exercised', () => {
  const missing = unexercised((op) => op.path.startsWith('/admin/v1/audit'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
