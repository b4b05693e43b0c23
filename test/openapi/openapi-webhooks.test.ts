/**
 * Every /admin/v1/webhooks operation that openapi.yaml documents, driven
 * through each status it documents; each answer is checked against the
 * spec. The last test fails if any documented (operation, status) under
 * /admin/v1/webhooks was not exercised.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';
import { MAX_ENDPOINTS } from '../../src/core/webhooks/publisher.js';

let h: Harness;
let admin: string;
let reader: string;
let endpointId: string;
let deadId: string;
const URL = 'http://127.0.0.1:9/hooks';

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'wh-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  endpointId = (await call('post', '/admin/v1/webhooks').send({ url: URL })).body.id;
  // A dead letter to list and redeliver, made by the store as the dispatcher would.
  const [queued] = (await h.ctx.webhooks.test(endpointId, { type: 'client', id: 'test' })).deliveries;
  await h.ctx.store.webhooks.deadLetter({ ...queued!, state: 'dead', attempts: 8, last_status: 500, last_error: 'HTTP 500' }, Date.now() + 60_000);
  deadId = queued!.id;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
function call(method: Method, path: string, auth: string | null = admin) {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
}

const OPERATIONS = (): Array<[Method, string]> => [
  ['post', '/admin/v1/webhooks'],
  ['get', '/admin/v1/webhooks'],
  ['get', `/admin/v1/webhooks/${endpointId}`],
  ['patch', `/admin/v1/webhooks/${endpointId}`],
  ['delete', `/admin/v1/webhooks/${endpointId}`],
  ['post', `/admin/v1/webhooks/${endpointId}/secret`],
  ['post', `/admin/v1/webhooks/${endpointId}/test`],
  ['get', '/admin/v1/webhooks/dead-letters'],
  ['post', `/admin/v1/webhooks/dead-letters/${deadId}/redeliver`],
];

describe('bearer and transport errors, on every operation', () => {
  test('401 without a token or with a bad one; 400 for a non-Bearer header; 403 without tessera:admin', async () => {
    for (const [method, path] of OPERATIONS()) {
      const res = await hit(call(method, path, null), 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
      await hit(call(method, path, 'Bearer not.a-valid.token'), 401);
      await hit(call(method, path, 'Basic YTpi'), 400);
      expect((await hit(call(method, path, reader), 403)).body.error).toBe('insufficient_scope');
    }
  });

  test('413 for a JSON body over 64 kB, 415 for one not in UTF-8, 400 for one that does not parse', async () => {
    for (const [method, path] of OPERATIONS()) {
      await hit(call(method, path).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
      await hit(call(method, path).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
      await hit(call(method, path).set('Content-Type', 'application/json').send('{"broken":'), 400);
    }
  });

  test('405 with Allow for another method', async () => {
    const allows: Array<[string, string]> = [
      ['/admin/v1/webhooks', 'GET, POST'], [`/admin/v1/webhooks/${endpointId}`, 'GET, PATCH, DELETE'],
      [`/admin/v1/webhooks/${endpointId}/secret`, 'POST'], [`/admin/v1/webhooks/${endpointId}/test`, 'POST'],
      ['/admin/v1/webhooks/dead-letters', 'GET'], [`/admin/v1/webhooks/dead-letters/${deadId}/redeliver`, 'POST'],
    ];
    for (const [path, allow] of allows) expect((await hit(call('put', path), 405)).headers.allow).toBe(allow);
    expect((await hit(call('patch', '/admin/v1/webhooks/dead-letters').send({}), 405)).headers.allow).toBe('GET');
  });
});

describe('/admin/v1/webhooks', () => {
  test('POST: 201 with Location and the secret once; 400 for a bad URL, an unknown event type or field', async () => {
    const res = await hit(call('post', '/admin/v1/webhooks').send({ url: 'https://hooks.example.com/t', event_types: ['key.rotated'], description: 'keys' }), 201);
    expect(res.headers.location).toBe(`/admin/v1/webhooks/${res.body.id}`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ url: 'https://hooks.example.com/t', event_types: ['key.rotated'], disabled: false, secret: expect.stringMatching(/^whsec_/) });
    for (const body of [
      {}, { url: 'ftp://hooks.example.com/' }, { url: 'https://user:pass@hooks.example.com/' }, { url: 'not a url' },
      { url: URL, event_types: ['token.issued'] }, { url: URL, event_types: [] }, { url: URL, secret: 'whsec_x' },
    ]) {
      expect((await hit(call('post', '/admin/v1/webhooks').send(body), 400)).body.error).toBe('invalid_request');
    }
    await hit(call('post', '/admin/v1/webhooks').send([URL]), 400);
  });

  test('GET: 200 pages that follow next_cursor to null; 400 for a bad limit', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await hit(call('get', '/admin/v1/webhooks').query(cursor ? { limit: '1', cursor } : { limit: '1' }), 200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      expect(res.body.items.every((e: object) => !('secret' in e))).toBe(true);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toContain(endpointId);
    await hit(call('get', '/admin/v1/webhooks?limit=0'), 400);
  });
});

describe('/admin/v1/webhooks/{webhook_id}', () => {
  test('GET: 200 without the secret; 404 for an unknown or impossible id', async () => {
    const res = await hit(call('get', `/admin/v1/webhooks/${endpointId}`), 200);
    expect(res.body.id).toBe(endpointId);
    expect('secret' in res.body).toBe(false);
    await hit(call('get', '/admin/v1/webhooks/whe_AAAAAAAAAAAAAAAA'), 404);
    await hit(call('get', '/admin/v1/webhooks/nope'), 404);
  });

  test('PATCH: 200; 400 for a bad field; 404', async () => {
    const res = await hit(call('patch', `/admin/v1/webhooks/${endpointId}`).send({ event_types: ['api_token.leaked'], description: null }), 200);
    expect(res.body).toMatchObject({ event_types: ['api_token.leaked'], description: null });
    await hit(call('patch', `/admin/v1/webhooks/${endpointId}`).send({ event_types: null }), 200);
    await hit(call('patch', `/admin/v1/webhooks/${endpointId}`).send({ id: 'whe_x' }), 400);
    await hit(call('patch', '/admin/v1/webhooks/whe_AAAAAAAAAAAAAAAA').send({ disabled: true }), 404);
  });

  test('POST .../secret: 200 with a new secret, with or without a body; 400 for a bad grace period; 404', async () => {
    const a = await hit(call('post', `/admin/v1/webhooks/${endpointId}/secret`), 200);
    const b = await hit(call('post', `/admin/v1/webhooks/${endpointId}/secret`).send({ grace_period: 60 }), 200);
    expect(a.body.secret).not.toBe(b.body.secret);
    expect(b.body.previous_secret_expires_at).toEqual(expect.any(String));
    await hit(call('post', `/admin/v1/webhooks/${endpointId}/secret`).send({ grace_period: 8 * 86_400 }), 400);
    await hit(call('post', '/admin/v1/webhooks/whe_AAAAAAAAAAAAAAAA/secret'), 404);
  });

  test('POST .../test: 202 with the message and delivery ids; 404', async () => {
    const res = await hit(call('post', `/admin/v1/webhooks/${endpointId}/test`), 202);
    expect(res.body).toEqual({ message_id: expect.stringMatching(/^msg_/), delivery_id: expect.stringMatching(/^whd_/) });
    await hit(call('post', '/admin/v1/webhooks/whe_AAAAAAAAAAAAAAAA/test'), 404);
  });

  test('DELETE: 204, then 404', async () => {
    const id = (await hit(call('post', '/admin/v1/webhooks').send({ url: URL }), 201)).body.id;
    await hit(call('delete', `/admin/v1/webhooks/${id}`), 204);
    await hit(call('delete', `/admin/v1/webhooks/${id}`), 404);
  });

  test(`POST: 409 once there are ${MAX_ENDPOINTS} endpoints`, async () => {
    const have = await h.ctx.store.webhooks.countEndpoints();
    for (let i = have; i < MAX_ENDPOINTS; i++) await hit(call('post', '/admin/v1/webhooks').send({ url: `${URL}/${i}` }), 201);
    expect((await hit(call('post', '/admin/v1/webhooks').send({ url: URL }), 409)).body.error).toBe('conflict');
  });
});

describe('/admin/v1/webhooks/dead-letters', () => {
  test('GET: 200, by endpoint too; 400 for a repeated filter', async () => {
    const all = await hit(call('get', '/admin/v1/webhooks/dead-letters'), 200);
    expect(all.body.items.map((d: { id: string }) => d.id)).toEqual([deadId]);
    expect((await hit(call('get', `/admin/v1/webhooks/dead-letters?endpoint=${endpointId}`), 200)).body.items).toHaveLength(1);
    expect((await hit(call('get', '/admin/v1/webhooks/dead-letters?endpoint=whe_AAAAAAAAAAAAAAAA'), 200)).body.items).toEqual([]);
    await hit(call('get', `/admin/v1/webhooks/dead-letters?endpoint=${endpointId}&endpoint=x`), 400);
  });

  test('POST .../redeliver: 202 once, then 404; 404 for an impossible id', async () => {
    const res = await hit(call('post', `/admin/v1/webhooks/dead-letters/${deadId}/redeliver`), 202);
    expect(res.body).toMatchObject({ id: deadId, state: 'pending', attempts: 0 });
    await hit(call('post', `/admin/v1/webhooks/dead-letters/${deadId}/redeliver`), 404);
    await hit(call('post', '/admin/v1/webhooks/dead-letters/nope/redeliver'), 404);
  });
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });

  test('every operation is 503 temporarily_unavailable with Retry-After', async () => {
    for (const [method, path] of OPERATIONS()) {
      const res = await hit(call(method, path).send(method === 'post' && path.endsWith('webhooks') ? { url: URL } : {}), 503);
      expect(res.headers['retry-after']).toBe('1');
    }
  });
});

test('every documented operation and status under /admin/v1/webhooks was exercised', () => {
  const missing = unexercised((op) => op.path.startsWith('/admin/v1/webhooks'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
