/**
 * Every /admin/v1 operation that openapi.yaml documents, driven for real
 * through each status it documents (the bearer, body-parsing and method
 * errors by a sweep over all operations); each answer is checked against the
 * spec. The last block closes the store (503s), and the last test fails if
 * any documented (operation, status) under /admin/ was not exercised.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';

let h: Harness;
let admin: string;
let reader: string;

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'adm-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  await h.createClient({ client_id: 'adm-target' });
});
afterAll(async () => { await h.stop().catch(() => undefined); });

type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};

// One concrete path per documented operation; the errors of the sweep happen before any handler runs.
const OPERATIONS: Array<[Method, string]> = [
  ['post', '/admin/v1/clients'],
  ['get', '/admin/v1/clients'],
  ['get', '/admin/v1/clients/adm-target'],
  ['patch', '/admin/v1/clients/adm-target'],
  ['delete', '/admin/v1/clients/adm-target'],
  ['post', '/admin/v1/clients/adm-target/secret'],
  ['get', '/admin/v1/keys'],
  ['post', '/admin/v1/keys/rotate'],
];

describe.each(OPERATIONS)('%s %s: bearer and transport errors', (method, path) => {
  test('401 without a bearer token, or with one that is not valid', async () => {
    const res = await hit(call(method, path, null), 401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    await hit(call(method, path, 'Bearer not.a-valid.token'), 401);
  });

  test('400 for an Authorization header that is not Bearer', async () => {
    await hit(call(method, path, 'Basic YTpi'), 400);
  });

  test('403 for a token without tessera:admin', async () => {
    const res = await hit(call(method, path, reader), 403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  test('413 for a JSON body over 64 kB, 415 for one not in UTF-8, 400 for one that does not parse', async () => {
    await hit(call(method, path).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
    await hit(call(method, path).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
    await hit(call(method, path).set('Content-Type', 'application/json').send('{"broken":'), 400);
  });
});

test.each([
  ['/admin/v1/clients', 'GET, POST'],
  ['/admin/v1/clients/adm-target', 'GET, PATCH, DELETE'],
  ['/admin/v1/clients/adm-target/secret', 'POST'],
  ['/admin/v1/keys', 'GET'],
  ['/admin/v1/keys/rotate', 'POST'],
])('405 with Allow for another method on %s', async (path, allow) => {
  const res = await hit(call('put', path), 405);
  expect(res.headers.allow).toBe(allow);
});

describe('/admin/v1/clients', () => {
  test('POST: 201 with Location and the secret once; public clients have none', async () => {
    const res = await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-new', scopes: ['a:read'], audiences: ['https://a.example.com'] }), 201);
    expect(res.headers.location).toBe('/admin/v1/clients/adm-new');
    expect(res.body.client_secret).toEqual(expect.any(String));
    const pub = await hit(call('post', '/admin/v1/clients').send({ public: true, redirect_uris: ['http://localhost:5173/cb'] }), 201);
    expect('client_secret' in pub.body).toBe(false);
    await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-chosen', client_secret: 'a-chosen-secret-123', default_scopes: [] }), 201);
  });

  test.each([
    [{ client_id: 'bad id' }],
    [{ grant_types: ['password'] }],
    [{ unknown_field: 1 }],
    [{ public: true, grant_types: ['client_credentials'] }],
    [{ client_secret: 'short' }],
  ])('POST: 400 for %j', async (body) => {
    expect((await hit(call('post', '/admin/v1/clients').send(body), 400)).body.error).toBe('invalid_request');
  });

  test('POST: 400 for a body that is not a JSON object; 409 for a duplicate client_id', async () => {
    await hit(call('post', '/admin/v1/clients').type('form').send('client_id=x'), 400);
    await hit(call('post', '/admin/v1/clients').send([1, 2]), 400);
    expect((await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-target' }), 409)).body.error).toBe('conflict');
  });

  test('GET: 200 pages that follow next_cursor to null; 400 for a bad limit or cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hit(call('get', '/admin/v1/clients').query(cursor ? { limit: '2', cursor } : { limit: '2' }), 200);
      seen.push(...res.body.items.map((c: { client_id: string }) => c.client_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(['adm-reader', 'adm-target', 'tessera-admin']));
    await hit(call('get', '/admin/v1/clients'), 200);
    await hit(call('get', '/admin/v1/clients?limit=0'), 400);
    await hit(call('get', '/admin/v1/clients?limit=1&limit=2'), 400);
    await hit(call('get', '/admin/v1/clients?cursor=not*valid'), 400);
  });
});

describe('/admin/v1/clients/{client_id}', () => {
  test('GET: 200; 404 for an unknown or impossible id; 400 for a malformed path', async () => {
    const res = await hit(call('get', '/admin/v1/clients/adm-target'), 200);
    expect(res.body.client_id).toBe('adm-target');
    await hit(call('get', '/admin/v1/clients/no-such-client'), 404);
    await hit(call('get', `/admin/v1/clients/${encodeURIComponent('not valid!')}`), 404);
    await hit(call('get', '/admin/v1/clients/%E0%A4%A'), 400);
  });

  test('PATCH: 200; 400 for a field that cannot change or a broken rule; 404', async () => {
    await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-patch' }), 201);
    const res = await hit(call('patch', '/admin/v1/clients/adm-patch').send({ name: 'Patched', scopes: ['x', 'y'], default_scopes: ['x'] }), 200);
    expect(res.body).toMatchObject({ name: 'Patched', default_scopes: ['x'] });
    await hit(call('patch', '/admin/v1/clients/adm-patch').send({ default_scopes: null }), 200);
    await hit(call('patch', '/admin/v1/clients/adm-patch').send({ public: true }), 400);
    await hit(call('patch', '/admin/v1/clients/adm-patch').send({ grant_types: ['authorization_code'] }), 400);
    await hit(call('patch', '/admin/v1/clients/no-such-client').send({ name: 'x' }), 404);
  });

  test('DELETE: 204, then 404', async () => {
    await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-delete' }), 201);
    await hit(call('delete', '/admin/v1/clients/adm-delete'), 204);
    await hit(call('delete', '/admin/v1/clients/adm-delete'), 404);
  });

  test('POST .../secret: 200 with the new secret; 400 for a public client; 404', async () => {
    const res = await hit(call('post', '/admin/v1/clients/adm-target/secret'), 200);
    expect(res.body.client_secret).toEqual(expect.any(String));
    await hit(call('post', '/admin/v1/clients').send({ client_id: 'adm-pub', public: true, redirect_uris: ['https://app.example/cb'] }), 201);
    await hit(call('post', '/admin/v1/clients/adm-pub/secret'), 400);
    await hit(call('post', '/admin/v1/clients/no-such-client/secret'), 404);
  });
});

describe('/admin/v1/keys', () => {
  test('GET lists keys; POST rotate answers the new kids and the list shows the retired key', async () => {
    const before = await hit(call('get', '/admin/v1/keys'), 200);
    const active = before.body.items.find((k: { state: string }) => k.state === 'active').kid;
    const rotated = await hit(call('post', '/admin/v1/keys/rotate'), 200);
    expect(rotated.body.retired).toBe(active);
    const after = await hit(call('get', '/admin/v1/keys'), 200);
    expect(after.body.items).toContainEqual(expect.objectContaining({ kid: active, state: 'retired', published: true }));
  });
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });

  test.each(OPERATIONS)('%s %s is 503 temporarily_unavailable with Retry-After', async (method, path) => {
    const res = await hit(call(method, path), 503);
    expect(res.headers['retry-after']).toBe('1');
  });
});

test('every documented operation and status under /admin/v1/clients and /admin/v1/keys was exercised', () => {
  // Narrowing a client has a file of its own (openapi-hygiene.test.ts).
  const missing = unexercised((op) => (op.path.startsWith('/admin/v1/clients') && !op.path.endsWith('/narrow')) || op.path.startsWith('/admin/v1/keys'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
