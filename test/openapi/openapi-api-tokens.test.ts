/**
 * /admin/v1/api-tokens, /v1/me/api-tokens and /oauth/leaked driven through
 * every status that openapi.yaml documents for them, each answer checked
 * against the spec. The user's bearer token for /v1/me comes the way a CLI
 * gets one: an admin-made API token exchanged at /oauth/token (RFC 8693);
 * that exchange and the introspection of an API token are checked against
 * the spec here too. The last block closes the store (503s).
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { assertMatchesOpenApi, expectDocumented as hit, unexercised } from '../support/openapi.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const ADMIN = '/admin/v1/api-tokens';
const ME = '/v1/me/api-tokens';

let h: Harness;
let admin: string;
let reader: string;
let exchanger: { client_id: string; client_secret: string };
let memberId: string;
/** The member's bearer token (scope tessera:tokens), from an exchanged API token. */
let member: string;
/** The member's bearer token without tessera:tokens. */
let memberNoScope: string;
/** The exchanging client's own token with tessera:tokens: issued to a client, not a user. */
let clientOwn: string;
/** A token of another user, which the member cannot see under /v1/me. */
let othersTokenId: string;
/** A token of the member, for the path-level checks. */
let someTokenId: string;

type Method = 'get' | 'post' | 'delete' | 'put' | 'patch';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};
const form = (path: string, fields: Record<string, string>, basic?: { client_id: string; client_secret: string }) => {
  const req = request(h.app).post(path).type('form').send(new URLSearchParams(fields).toString());
  return basic ? req.auth(basic.client_id, basic.client_secret) : req;
};
const exchange = (subjectToken: string, extra: Record<string, string> = {}) =>
  form('/oauth/token', { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: API_TOKEN_TYPE, ...extra }, exchanger);
const leak = (body: unknown) => request(h.app).post('/oauth/leaked').send(body as object);

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'tok-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  await h.ctx.users.putRole('member', ['orders:read', 'tessera:tokens']);
  memberId = (await h.ctx.users.create({ username: 'member', password: 'member-password', roles: ['member'] })).id;
  await h.ctx.users.create({ username: 'other', password: 'other-password', roles: ['member'] });
  await h.ctx.users.create({ username: 'gone', password: 'gone-password', roles: ['member'], disabled: true });
  exchanger = await h.createClient({ client_id: 'tok-exchanger', grant_types: [EXCHANGE, 'client_credentials'], scopes: ['orders:read', 'tessera:tokens'] });
  clientOwn = `Bearer ${await h.clientToken(exchanger.client_id, exchanger.client_secret, { scope: 'tessera:tokens' })}`;

  const session = await hit(call('post', ADMIN).send({ user: 'member', name: 'session', scopes: ['orders:read', 'tessera:tokens'] }), 201);
  const exchanged = await hit(exchange(session.body.token), 200);
  expect(exchanged.body).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', scope: 'orders:read tessera:tokens' });
  expect(exchanged.body.refresh_token).toBeUndefined();
  member = `Bearer ${exchanged.body.access_token}`;
  memberNoScope = `Bearer ${(await hit(exchange(session.body.token, { scope: 'orders:read' }), 200)).body.access_token}`;

  othersTokenId = (await hit(call('post', ADMIN).send({ user: 'other', name: 'theirs', scopes: ['orders:read'] }), 201)).body.id;
  someTokenId = (await hit(call('post', ADMIN).send({ user: memberId, name: 'some', scopes: ['orders:read'] }), 201)).body.id;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const OPERATIONS = (base: string): Array<[Method, string]> => [
  ['post', base],
  ['get', base],
  ['get', `${base}/${someTokenId}`],
  ['delete', `${base}/${someTokenId}`],
  ['post', `${base}/${someTokenId}/rotate`],
  ['get', `${base}/${someTokenId}/usage`],
];

describe.each([
  ['admin', ADMIN, () => admin, () => [reader, member]],
  ['self-service', ME, () => member, () => [memberNoScope, clientOwn, admin]],
])('%s: bearer and transport errors', (_name, base, good, forbidden) => {
  test('401, 400, 403, 413, 415 on every operation', async () => {
    for (const [method, path] of OPERATIONS(base)) {
      await hit(call(method, path, null), 401);
      await hit(call(method, path, 'Bearer not.a.jwt'), 401);
      await hit(call(method, path, 'Basic YTpi'), 400);
      for (const auth of forbidden()) {
        const res = await hit(call(method, path, auth), 403);
        expect(res.headers['www-authenticate']).toContain(`scope="${base === ME ? 'tessera:tokens' : 'tessera:admin'}"`);
      }
      await hit(call(method, path, good()).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
      await hit(call(method, path, good()).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
    }
  });

  test('405 with Allow for other methods', async () => {
    expect((await hit(call('put', base, good()), 405)).headers.allow).toBe('GET, POST');
    expect((await hit(call('patch', `${base}/${someTokenId}`, good()), 405)).headers.allow).toBe('GET, DELETE');
    expect((await hit(call('get', `${base}/${someTokenId}/rotate`, good()), 405)).headers.allow).toBe('POST');
    expect((await hit(call('post', `${base}/${someTokenId}/usage`, good()), 405)).headers.allow).toBe('GET');
  });

  test('usage: 200, 404 for an unknown token, 400 for a malformed path', async () => {
    const res = await hit(call('get', `${base}/${someTokenId}/usage`, good()), 200);
    expect(res.body.id).toBe(someTokenId);
    await hit(call('get', `${base}/tok_AAAAAAAAAAAAAAAA/usage`, good()), 404);
    await hit(call('get', `${base}/%E0%A4%A/usage`, good()), 400);
  });
});

describe('admin API', () => {
  test('create: 201 with Location and the secret once; 400 for bad bodies and broken rules', async () => {
    const created = await hit(call('post', ADMIN).send({
      user: 'member', name: 'deploy bot', description: 'CI', scopes: ['orders:read'], expires_in: 86_400,
      allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.5'], rate_limit: { requests: 100, per_seconds: 60 },
    }), 201);
    expect(created.headers.location).toBe(`${ADMIN}/${created.body.id}`);
    expect(created.body).toMatchObject({ user: memberId, status: 'active', created_by: { type: 'client', id: 'tessera-admin' } });
    await hit(call('post', ADMIN).send({ user: 'member', name: 'at', scopes: ['orders:read'], expires_at: new Date(Date.now() + 3_600_000).toISOString() }), 201);

    for (const body of [
      { user: 'nobody', name: 'x', scopes: ['orders:read'] },
      { user: 'gone', name: 'x', scopes: ['orders:read'] },
      { user: 'member', name: 'x', scopes: ['orders:write'] },
      { user: 'member', name: 'x', scopes: ['orders:read'], expires_in: 3600, expires_at: '2099-01-01T00:00:00Z' },
      { user: 'member', name: 'x', scopes: ['orders:read'], expires_in: 10 },
      { user: 'member', name: 'x', scopes: ['orders:read'], expires_at: '2000-01-01T00:00:00Z' },
      { user: 'member', name: 'x', scopes: ['orders:read'], expires_in: 1_000 * 86_400 },
      { user: 'member', name: 'x', scopes: ['orders:read'], allowed_ips: ['10.0.0.0/99'] },
      { user: 'member', name: '', scopes: ['orders:read'] },
      { user: 'member', name: 'x', scopes: ['orders:read'], extra: true },
    ]) {
      expect((await hit(call('post', ADMIN).send(body), 400)).body.error).toBe('invalid_request');
    }
    await hit(call('post', ADMIN).set('Content-Type', 'application/json').send('{"user":'), 400);
  });

  test('list: 200 with each filter, 400 for a bad filter or page', async () => {
    const all = await hit(call('get', `${ADMIN}?limit=2`), 200);
    expect(all.body.items).toHaveLength(2);
    expect(typeof all.body.next_cursor).toBe('string');
    await hit(call('get', `${ADMIN}?limit=2&cursor=${all.body.next_cursor}`), 200);
    const mine = await hit(call('get', `${ADMIN}?user=member&active=true`), 200);
    expect(mine.body.items.every((t: { user: string }) => t.user === memberId)).toBe(true);
    await hit(call('get', `${ADMIN}?user=${memberId}&active=false`), 200);
    await hit(call('get', `${ADMIN}?expiring_within=7200`), 200);
    await hit(call('get', `${ADMIN}?unused_for=0`), 200);
    await hit(call('get', `${ADMIN}?user=nobody`), 200);
    for (const q of ['active=maybe', 'expiring_within=-1', 'unused_for=soon', 'limit=0', 'limit=201', 'active=true&active=false']) {
      await hit(call('get', `${ADMIN}?${q}`), 400);
    }
  });

  test('get 200, 404, 400; rotate 200 (grace), 400, 404, 409; revoke 200 (repeatable), 400, 404', async () => {
    const t = await hit(call('post', ADMIN).send({ user: 'member', name: 'rotating', scopes: ['orders:read'] }), 201);
    const got = await hit(call('get', `${ADMIN}/${t.body.id}`), 200);
    expect(got.body.token).toBeUndefined();
    await hit(call('get', `${ADMIN}/tok_AAAAAAAAAAAAAAAA`), 404);
    await hit(call('get', `${ADMIN}/not-a-token-id`), 404);
    await hit(call('get', `${ADMIN}/%E0%A4%A`), 400);

    const rotated = await hit(call('post', `${ADMIN}/${t.body.id}/rotate`).send({ grace_period: 300 }), 200);
    expect(rotated.body.token).not.toBe(t.body.token);
    expect(rotated.body.previous_secret_expires_at).not.toBeNull();
    expect((await hit(call('post', `${ADMIN}/${t.body.id}/rotate`), 200)).body.previous_secret_expires_at).toBeNull();
    await hit(call('post', `${ADMIN}/${t.body.id}/rotate`).send({ grace_period: -1 }), 400);
    await hit(call('post', `${ADMIN}/${t.body.id}/rotate`).send({ grace: 1 }), 400);
    await hit(call('post', `${ADMIN}/tok_AAAAAAAAAAAAAAAA/rotate`), 404);
    await hit(call('post', `${ADMIN}/%E0%A4%A/rotate`), 400);

    const revoked = await hit(call('delete', `${ADMIN}/${t.body.id}`).send({ reason: 'spec test' }), 200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'client', id: 'tessera-admin' }, revocation_reason: 'spec test' });
    expect((await hit(call('delete', `${ADMIN}/${t.body.id}?reason=again`), 200)).body).toEqual(revoked.body);
    expect((await hit(call('post', `${ADMIN}/${t.body.id}/rotate`), 409)).body.error).toBe('conflict');
    await hit(call('delete', `${ADMIN}/tok_AAAAAAAAAAAAAAAA`), 404);
    await hit(call('delete', `${ADMIN}/${t.body.id}`).send({ reason: 'x'.repeat(501) }), 400);
    await hit(call('delete', `${ADMIN}/%E0%A4%A`), 400);
    // Still listed, revoked.
    const listed = await hit(call('get', `${ADMIN}?user=member&active=false`), 200);
    expect(listed.body.items.map((x: { id: string }) => x.id)).toContain(t.body.id);
  });
});

describe('self-service API', () => {
  test('create 201, 400; list 200, 400; get 200, 404, 400', async () => {
    const created = await hit(call('post', ME, member).send({ name: 'laptop', scopes: ['orders:read'], expires_in: 86_400 }), 201);
    expect(created.headers.location).toBe(`${ME}/${created.body.id}`);
    expect(created.body).toMatchObject({ user: memberId, created_by: { type: 'user', id: memberId } });
    await hit(call('post', ME, member).send({ user: 'other', name: 'x', scopes: ['orders:read'] }), 400);
    await hit(call('post', ME, member).send({ name: 'x', scopes: ['orders:write'] }), 400);
    await hit(call('post', ME, member).send({ name: 'x', scopes: ['orders:read'], expires_in: 1 }), 400);

    const list = await hit(call('get', `${ME}?active=true&limit=50`, member), 200);
    expect(list.body.items.every((t: { user: string }) => t.user === memberId)).toBe(true);
    expect(list.body.items.map((t: { id: string }) => t.id)).not.toContain(othersTokenId);
    await hit(call('get', `${ME}?user=member`, member), 400);
    await hit(call('get', `${ME}?expiring_within=x`, member), 400);

    await hit(call('get', `${ME}/${created.body.id}`, member), 200);
    await hit(call('get', `${ME}/${othersTokenId}`, member), 404);
    await hit(call('get', `${ME}/tok_AAAAAAAAAAAAAAAA`, member), 404);
    await hit(call('get', `${ME}/%E0%A4%A`, member), 400);
  });

  test('rotate 200, 400, 404, 409; revoke 200, 400, 404', async () => {
    const t = await hit(call('post', ME, member).send({ name: 'rotating', scopes: ['orders:read'] }), 201);
    await hit(call('post', `${ME}/${t.body.id}/rotate`, member).send({ grace_period: 60 }), 200);
    await hit(call('post', `${ME}/${t.body.id}/rotate`, member).send({ grace_period: 2_592_001 }), 400);
    await hit(call('post', `${ME}/${othersTokenId}/rotate`, member), 404);
    await hit(call('post', `${ME}/%E0%A4%A/rotate`, member), 400);

    const revoked = await hit(call('delete', `${ME}/${t.body.id}?reason=lost+laptop`, member), 200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'user', id: memberId }, revocation_reason: 'lost laptop' });
    await hit(call('post', `${ME}/${t.body.id}/rotate`, member), 409);
    await hit(call('delete', `${ME}/${othersTokenId}`, member), 404);
    await hit(call('delete', `${ME}/${t.body.id}`, member).send({ reason: 1 }), 400);
    await hit(call('delete', `${ME}/%E0%A4%A`, member), 400);
    // The other user's token was not touched.
    expect((await hit(call('get', `${ADMIN}/${othersTokenId}`), 200)).body.status).toBe('active');
  });
});

describe('API tokens at the token and introspection endpoints', () => {
  test('exchange: 200 as documented; 400 invalid_request with the one fixed answer for an unusable token', async () => {
    const t = await hit(call('post', ADMIN).send({ user: 'member', name: 'exchange', scopes: ['orders:read'] }), 201);
    await hit(exchange(t.body.token, { requested_token_type: 'urn:ietf:params:oauth:token-type:jwt', audience: 'http://tessera.test' }), 200);
    await hit(call('delete', `${ADMIN}/${t.body.id}`), 200);
    const refused = await hit(exchange(t.body.token), 400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: 'the subject_token is not a usable API token' });
    const garbage = await hit(exchange('tsp_0000000000000000000000000000000000000A'), 400);
    expect(garbage.body.error).toBe('invalid_request');
    const wrongType = await hit(form('/oauth/token', { grant_type: EXCHANGE, subject_token: t.body.token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }, exchanger), 400);
    expect(wrongType.body.error).toBe('invalid_request');
    const actor = await hit(exchange(t.body.token, { actor_token: 'x', actor_token_type: 'urn:ietf:params:oauth:token-type:access_token' }), 400);
    expect(actor.body.error).toBe('invalid_request');
  });

  test('exchange: invalid_scope and invalid_target', async () => {
    const t = await hit(call('post', ADMIN).send({ user: 'member', name: 'narrow', scopes: ['orders:read'] }), 201);
    expect((await hit(exchange(t.body.token, { scope: 'tessera:tokens' }), 400)).body.error).toBe('invalid_scope');
    expect((await hit(exchange(t.body.token, { audience: 'https://elsewhere.example' }), 400)).body.error).toBe('invalid_target');
  });

  test('introspection: a live API token (the api_token branch), an IP outside its allowlist, a bad client_ip', async () => {
    const t = await hit(call('post', ADMIN).send({ user: 'member', name: 'introspected', scopes: ['orders:read'], allowed_ips: ['10.0.0.0/8'] }), 201);
    const live = await hit(form('/oauth/introspect', { token: t.body.token, client_ip: '10.1.2.3' }, exchanger), 200);
    expect(live.body).toMatchObject({ active: true, token_type: 'api_token', sub: memberId, username: 'member', jti: t.body.id, scope: 'orders:read' });
    expect((await hit(form('/oauth/introspect', { token: t.body.token, client_ip: '192.0.2.1' }, exchanger), 200)).body).toEqual({ active: false });
    expect((await hit(form('/oauth/introspect', { token: t.body.token }, exchanger), 200)).body).toEqual({ active: false });
    await hit(form('/oauth/introspect', { token: t.body.token, client_ip: 'not-an-ip' }, exchanger), 400);
    const used = await hit(call('get', `${ADMIN}/${t.body.id}`), 200);
    expect(used.body).toMatchObject({ last_used_ip: '10.1.2.3', last_used_at: expect.any(String) });
  });

  test('the exchanged token is a user token for the exchanging client, and introspects as Bearer', async () => {
    const res = await hit(form('/oauth/introspect', { token: member.slice('Bearer '.length) }, exchanger), 200);
    expect(res.body).toMatchObject({ active: true, token_type: 'Bearer', sub: memberId, client_id: exchanger.client_id });
  });
});

describe('POST /oauth/leaked', () => {
  test('202 whatever the strings are; a real API token is revoked by anonymous', async () => {
    const t = await hit(call('post', ADMIN).send({ user: 'member', name: 'leaky', scopes: ['orders:read'] }), 201);
    const res = await hit(leak({ tokens: [t.body.token, 'not-a-token', 'tsp_0000000000000000000000000000000000000A'], source: 'https://paste.example/1' }), 202);
    expect(res.body).toEqual({ received: 3 });
    const after = await hit(call('get', `${ADMIN}/${t.body.id}`), 200);
    expect(after.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'anonymous', id: null }, revocation_reason: 'reported as leaked' });
  });

  test('400 for a bad body, 413 over 256 kB, 415 for a charset it cannot decode, 405 for other methods', async () => {
    for (const body of [{}, { tokens: [] }, { tokens: ['x'], extra: 1 }, { tokens: ['x'.repeat(513)] }, { tokens: Array(1001).fill('x') }, { tokens: ['x'], source: 'x'.repeat(2001) }]) {
      expect((await hit(leak(body), 400)).body.error).toBe('invalid_request');
    }
    await hit(request(h.app).post('/oauth/leaked').set('Content-Type', 'application/json').send('{"tokens":'), 400);
    await hit(request(h.app).post('/oauth/leaked').set('Content-Type', 'application/json').send(JSON.stringify({ tokens: Array(600).fill('x'.repeat(500)) })), 413);
    await hit(request(h.app).post('/oauth/leaked').set('Content-Type', 'application/json; charset=latin1').send('{"tokens":["x"]}'), 415);
    expect((await hit(request(h.app).get('/oauth/leaked'), 405)).headers.allow).toBe('POST');
    await hit(request(h.app).put('/oauth/leaked'), 405);
  });

  test('429 with Retry-After past 30 reports a minute from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await leak({ tokens: [`not-a-token-${i}`] });
      assertMatchesOpenApi(res);
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 202 || s === 429)).toBe(true);
    expect(statuses[statuses.length - 1]).toBe(429);
    const limited = await hit(leak({ tokens: ['x'] }), 429);
    expect(limited.body.error).toBe('too_many_requests');
  });
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('every operation is 503 temporarily_unavailable', async () => {
    for (const [method, path] of OPERATIONS(ADMIN)) await hit(call(method, path), 503);
    for (const [method, path] of OPERATIONS(ME)) await hit(call(method, path, member), 503);
    await hit(leak({ tokens: ['x'] }), 503);
  });
});

test('every documented operation and status under /admin/v1/api-tokens, /v1/me/api-tokens and /oauth/leaked was exercised', () => {
  // Narrowing and resuming have a file of their own (openapi-hygiene.test.ts).
  const missing = unexercised((op) => (op.path.startsWith('/admin/v1/api-tokens') || op.path.startsWith('/v1/me/api-tokens') || op.path === '/oauth/leaked')
    && !op.path.endsWith('/narrow') && !op.path.endsWith('/resume'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
