/** Rate limits at the token endpoint: per client, per address for failed client authentication, per API token. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

let h: Harness;
// A clock that stands still: the windows' `t` and Retry-After are then exact, whatever the machine's load.
const clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock, env: {
    TESSERA_TRUST_PROXY: 'loopback', TESSERA_RATE_LIMIT_CLIENT: '3/60', TESSERA_RATE_LIMIT_AUTH_FAILURES: '2/60', TESSERA_RATE_LIMIT_API_TOKEN: '50/60',
  } });
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
});
afterAll(async () => { await h.stop(); });

const cc = (id: string, secret: string, ip: string) =>
  request(h.app).post('/oauth/token').auth(id, secret).set('X-Forwarded-For', ip).type('form').send({ grant_type: 'client_credentials' });

test('a client gets its quota with RateLimit headers, then 429 with Retry-After; other clients are not affected', async () => {
  const a = await h.ctx.clients.create({ client_id: 'rl-a', scopes: [] });
  const b = await h.ctx.clients.create({ client_id: 'rl-b', scopes: [] });
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await cc('rl-a', a.secret!, '192.0.2.10'));
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
  expect(answers[0]!.headers['ratelimit-policy']).toBe('"client";q=3;w=60');
  expect(answers[0]!.headers.ratelimit).toBe('"client";r=2;t=20');
  expect(answers[2]!.headers.ratelimit).toBe('"client";r=0;t=60');
  const refused = answers[3]!;
  expect(refused.headers['retry-after']).toBe('20');
  expect(refused.headers['ratelimit-policy']).toBe('"client";q=3;w=60');
  expect(refused.headers.ratelimit).toBe('"client";r=0;t=60');
  expect(refused.headers['cache-control']).toBe('no-store');
  expect(refused.body).toEqual({ error: 'too_many_requests', error_description: `the client rate limit is reached; retry after ${refused.headers['retry-after']} s` });
  expect((await cc('rl-b', b.secret!, '192.0.2.10')).status).toBe(200);
  await h.flushAudit();
  expect(h.audit.events).toContainEqual(expect.objectContaining({ type: 'rate_limit.hit', subject: 'rl-a', detail: { policy: 'client', requests: 3, per_seconds: 60 } }));
});

test('after too many failed client authentications an address is refused before its credentials are checked', async () => {
  const c = await h.ctx.clients.create({ client_id: 'rl-c', scopes: [] });
  expect((await cc('rl-c', 'wrong-secret-1', '198.51.100.20')).status).toBe(401);
  expect((await cc('rl-c', 'wrong-secret-2', '198.51.100.20')).status).toBe(401);
  // The right secret now gets the same 429 as a wrong one: a right guess is not told apart.
  const right = await cc('rl-c', c.secret!, '198.51.100.20');
  expect(right.status).toBe(429);
  expect(right.headers['ratelimit-policy']).toBe('"auth_failures";q=2;w=60');
  expect((await cc('rl-c', 'wrong-secret-3', '198.51.100.20')).status).toBe(429);
  // Another address is not affected.
  expect((await cc('rl-c', c.secret!, '198.51.100.21')).status).toBe(200);
  expect(h.audit.events.filter((e) => e.type === 'client.authentication_failed' && e.client_id === 'rl-c')).toHaveLength(2);
});

test('an API token with a limit of N gets its N+1th exchange refused with 429; without one, the default applies', async () => {
  const x = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read'] });
  const limited = await h.ctx.apiTokens.create({ user: 'alice', name: 'l', scopes: ['orders:read'], rate_limit: { requests: 2, per_seconds: 60 } }, { actor: { type: 'client', id: 't' } });
  const plain = await h.ctx.apiTokens.create({ user: 'alice', name: 'p', scopes: ['orders:read'] }, { actor: { type: 'client', id: 't' } });
  const swap = (t: string, ip: string) => request(h.app).post('/oauth/token').auth(x.client_id, x.client_secret).set('X-Forwarded-For', ip).type('form')
    .send({ grant_type: EXCHANGE, subject_token: t, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
  // From different addresses, so the client's own quota (3/60) is not what stops them.
  expect((await swap(limited.token, '203.0.113.1')).headers['ratelimit-policy']).toBe('"client";q=3;w=60, "api_token";q=2;w=60');
  const second = await swap(limited.token, '203.0.113.2');
  expect(second.headers.ratelimit).toBe('"client";r=1;t=40, "api_token";r=0;t=60');
  const third = await swap(limited.token, '203.0.113.3');
  expect(third.status).toBe(429);
  expect(third.headers['retry-after']).toBe('30');
  expect(third.body.error_description).toBe(`the api_token rate limit is reached; retry after ${third.headers['retry-after']} s`);
  const other = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read'] });
  const res = await request(h.app).post('/oauth/token').auth(other.client_id, other.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: plain.token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
  expect(res.status).toBe(200);
  expect(res.headers['ratelimit-policy']).toBe('"client";q=3;w=60, "api_token";q=50;w=60');
});
