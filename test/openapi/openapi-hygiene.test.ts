/**
 * The token-hygiene reports (/admin/v1/reports, /v1/me/reports), narrowing
 * and resuming a paused token, driven through every status openapi.yaml
 * documents for them, each answer checked against the spec. The last block closes the
 * store (503s); the last test fails if a documented (operation, status) of
 * these paths was not exercised.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

let h: Harness;
let admin: string;
let reader: string;
let member: string;
let clientOwn: string;
let mine: { id: string; token: string };
let theirs: string;
let rs: { client_id: string; client_secret: string };

type Method = 'get' | 'post' | 'put';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'rep-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  await h.ctx.users.putRole('member', ['orders:read', 'orders:write', 'tessera:tokens']);
  const user = await h.ctx.users.create({ username: 'member', password: 'member-password', roles: ['member'] });
  await h.ctx.users.create({ username: 'other', password: 'other-password', roles: ['member'] });
  const exchanger = await h.createClient({ client_id: 'rep-exchanger', grant_types: [EXCHANGE, 'client_credentials'], scopes: ['orders:read', 'orders:write', 'tessera:tokens'] });
  clientOwn = `Bearer ${await h.clientToken(exchanger.client_id, exchanger.client_secret, { scope: 'tessera:tokens' })}`;
  rs = await h.createClient({ client_id: 'rep-resource-server' });
  const session = await hit(call('post', '/admin/v1/api-tokens').send({ user: 'member', name: 'session', scopes: ['orders:read', 'tessera:tokens'] }), 201);
  const exchanged = await request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: session.body.token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
  member = `Bearer ${exchanged.body.access_token}`;
  mine = (await hit(call('post', '/admin/v1/api-tokens').send({ user: user.id, name: 'mine', scopes: ['orders:read', 'orders:write'] }), 201)).body;
  theirs = (await hit(call('post', '/admin/v1/api-tokens').send({ user: 'other', name: 'theirs', scopes: ['orders:read'] }), 201)).body.id;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const ADMIN_OPS = (): Array<[Method, string]> => [
  ['get', '/admin/v1/reports/least-privilege'], ['get', '/admin/v1/reports/unused'], ['get', '/admin/v1/reports/expiring'],
  ['post', `/admin/v1/api-tokens/${mine.id}/narrow`], ['post', '/admin/v1/clients/rep-reader/narrow'], ['post', `/admin/v1/api-tokens/${mine.id}/resume`],
];
const ME_OPS = (): Array<[Method, string]> => [
  ['get', '/v1/me/reports/least-privilege'], ['get', '/v1/me/reports/unused'], ['get', '/v1/me/reports/expiring'],
  ['post', `/v1/me/api-tokens/${mine.id}/narrow`], ['post', `/v1/me/api-tokens/${mine.id}/resume`],
];

describe('bearer and transport errors, on every operation', () => {
  test('401, 400 and 403 for a missing, a bad or an under-scoped token', async () => {
    for (const [method, path] of [...ADMIN_OPS(), ...ME_OPS()]) {
      expect((await hit(call(method, path, null), 401)).headers['www-authenticate']).toBe('Bearer realm="tessera"');
      await hit(call(method, path, 'Bearer not.a-valid.token'), 401);
      await hit(call(method, path, 'Basic YTpi'), 400);
    }
    for (const [method, path] of ADMIN_OPS()) expect((await hit(call(method, path, reader), 403)).body.error).toBe('insufficient_scope');
    // Under /v1/me, a client's own token is not a user's.
    for (const [method, path] of ME_OPS()) expect((await hit(call(method, path, clientOwn), 403)).body.error).toBe('insufficient_scope');
  });

  test('413, 415 and 400 for bodies that are too large, not UTF-8 or broken; 405 with Allow for another method', async () => {
    for (const [method, path, auth] of [...ADMIN_OPS().map((o) => [...o, admin] as const), ...ME_OPS().map((o) => [...o, member] as const)]) {
      await hit(call(method, path, auth).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
      await hit(call(method, path, auth).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
      await hit(call(method, path, auth).set('Content-Type', 'application/json').send('{"broken":'), 400);
      expect((await hit(call('put', path, auth), 405)).headers.allow).toBe(method.toUpperCase());
    }
  });
});

describe('the reports', () => {
  test('200 with the report; 400 for a bad query', async () => {
    await request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({ token: mine.token, scope: 'orders:write' }).expect(200);
    const lp = await hit(call('get', '/admin/v1/reports/least-privilege'), 200);
    expect(lp.body.items.find((i: { id: string }) => i.id === mine.id)).toMatchObject({ used: [{ scope: 'orders:write' }], unused: ['orders:read'] });
    await hit(call('get', '/admin/v1/reports/least-privilege?kind=client&excess_only=true&window=3600&limit=1'), 200);
    await hit(call('get', '/admin/v1/reports/unused?unused_for=1'), 200);
    await hit(call('get', '/admin/v1/reports/expiring?within=31536000&user=member'), 200);
    await hit(call('get', '/v1/me/reports/least-privilege', member), 200);
    await hit(call('get', '/v1/me/reports/unused?unused_for=1', member), 200);
    await hit(call('get', '/v1/me/reports/expiring?within=31536000', member), 200);
    for (const path of ['least-privilege?kind=tokens', 'least-privilege?window=0', 'least-privilege?window=1&window=2', 'least-privilege?excess_only=yes',
      'unused?unused_for=x', 'expiring?within=-1', 'expiring?limit=0', 'expiring?cursor=bm90LWEtY3Vyc29y', 'least-privilege?kind=client&user=member']) {
      expect((await hit(call('get', `/admin/v1/reports/${path}`), 400)).body.error).toBe('invalid_request');
    }
    for (const path of ['least-privilege?user=other', 'least-privilege?kind=client', 'unused?user=other', 'expiring?user=other']) {
      await hit(call('get', `/v1/me/reports/${path}`, member), 400);
    }
  });
});

describe('narrowing', () => {
  test('200 with what was removed; 400 for a bad window; 404 for an unknown (or another user\'s) token or client; 409 with nothing used or an ended token', async () => {
    await hit(call('post', `/admin/v1/api-tokens/${theirs}/narrow`).send({ window: 3600 }), 409);
    await hit(call('post', `/admin/v1/api-tokens/${mine.id}/narrow`).send({ window: 0 }), 400);
    await hit(call('post', `/admin/v1/api-tokens/${mine.id}/narrow`).send({ since: 1 }), 400);
    await hit(call('post', '/admin/v1/api-tokens/tok_AAAAAAAAAAAAAAAA/narrow'), 404);
    expect((await hit(call('post', `/v1/me/api-tokens/${mine.id}/narrow`, member).send({}), 200)).body).toMatchObject({ removed: ['orders:read'], token: { scopes: ['orders:write'] } });
    expect((await hit(call('post', `/admin/v1/api-tokens/${mine.id}/narrow`), 200)).body.removed).toEqual([]);
    await hit(call('post', `/v1/me/api-tokens/${theirs}/narrow`, member), 404);
    await hit(call('post', `/v1/me/api-tokens/${mine.id}/narrow`, member).send([]), 400);
    await hit(call('delete' as Method, `/admin/v1/api-tokens/${mine.id}`), 200);
    await hit(call('post', `/v1/me/api-tokens/${mine.id}/narrow`, member), 409);

    // The admin client used tessera:admin (every call above); the reader's token exercised nothing.
    expect((await hit(call('post', '/admin/v1/clients/tessera-admin/narrow'), 200)).body).toMatchObject({ removed: [], client: { client_id: 'tessera-admin' } });
    await hit(call('post', '/admin/v1/clients/rep-reader/narrow').send({ window: 60 }), 409);
    await hit(call('post', '/admin/v1/clients/rep-reader/narrow').send({ window: 'day' }), 400);
    await hit(call('post', '/admin/v1/clients/no-such-client/narrow'), 404);
  });
});

describe('resuming', () => {
  test('200 with the token no longer paused (or as it was); 404 for an unknown or another user\'s token; 409 for an ended one', async () => {
    const paused = (await hit(call('post', '/admin/v1/api-tokens').send({ user: 'member', name: 'paused', scopes: ['orders:read'] }), 201)).body.id;
    await h.ctx.apiTokens.pause(paused, 'suspicious use: a test', { actor: { type: 'system', id: 'suspicious-use' } });
    expect((await hit(call('get', `/admin/v1/api-tokens/${paused}`), 200)).body).toMatchObject({ status: 'active', pause_reason: 'suspicious use: a test', paused_at: expect.any(String) });
    expect((await hit(call('post', `/v1/me/api-tokens/${paused}/resume`, member), 200)).body).toMatchObject({ paused_at: null, pause_reason: null });
    expect((await hit(call('post', `/admin/v1/api-tokens/${paused}/resume`), 200)).body.paused_at).toBeNull();
    await hit(call('post', '/admin/v1/api-tokens/tok_AAAAAAAAAAAAAAAA/resume'), 404);
    await hit(call('post', `/v1/me/api-tokens/${theirs}/resume`, member), 404);
    await hit(call('delete' as Method, `/admin/v1/api-tokens/${paused}`), 200);
    await hit(call('post', `/admin/v1/api-tokens/${paused}/resume`), 409);
    await hit(call('post', `/v1/me/api-tokens/${paused}/resume`, member), 409);
  });
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });

  test('every operation is 503 temporarily_unavailable with Retry-After', async () => {
    for (const [method, path] of ADMIN_OPS()) expect((await hit(call(method, path), 503)).headers['retry-after']).toBe('1');
    for (const [method, path] of ME_OPS()) await hit(call(method, path, member), 503);
  });
});

test('every documented operation and status of the reports, narrowing and resuming was exercised', () => {
  const missing = unexercised((op) => op.path.includes('/reports/') || op.path.endsWith('/narrow') || op.path.endsWith('/resume'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
