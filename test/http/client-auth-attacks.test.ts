/**
 * Client authentication under attack, at the token, revocation and
 * introspection endpoints: guesses sent at once count one each (count
 * before you check), a failure costs the same whatever the id names, and
 * what was claimed as client_id reaches the audit log only when it names a
 * client. On memory and on Redis.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const ALLOWANCE = 20;
const CHOSEN_SECRET = 'a secret somebody typed in';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

type Endpoint = 'token' | 'revocation' | 'introspection';
const ENDPOINTS: Endpoint[] = ['token', 'revocation', 'introspection'];

describe.each([['memory', false], ['Redis', true]] as const)('on the %s store', (_name, redis) => {
  let h: Harness;
  let generated: { client_id: string; client_secret: string };
  let chosen: { client_id: string; client_secret: string };
  let lastAddress = 0;
  /** A fresh address per test, so each starts with a full allowance. */
  const address = () => `198.51.100.${++lastAddress}`;

  beforeAll(async () => {
    h = await startHarness({ redis, env: { TESSERA_TRUST_PROXY: 'loopback', TESSERA_RATE_LIMIT_AUTH_FAILURES: `${ALLOWANCE}/3600` } });
    generated = await h.createClient({ client_id: `generated-${redis}`, scopes: [] });
    chosen = await h.createClient({ client_id: `chosen-${redis}`, client_secret: CHOSEN_SECRET, scopes: [] });
  });
  afterAll(async () => { await h.stop(); });

  function call(endpoint: Endpoint, clientId: string, secret: string, ip: string) {
    const path = { token: '/oauth/token', revocation: '/oauth/revoke', introspection: '/oauth/introspect' }[endpoint];
    const body = endpoint === 'token' ? { grant_type: 'client_credentials' } : { token: 'not-a-token' };
    return request(h.app).post(path).auth(clientId, secret).set('X-Forwarded-For', ip).type('form').send(body);
  }

  const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

  test.each(ENDPOINTS)('at the %s endpoint, 60 wrong secrets sent at once from one address: the allowance of 20 is checked (401), the other 40 are refused (429)', async (endpoint) => {
    const ip = address();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(endpoint, generated.client_id, `wrong-${i}`, ip)));
    expect(tally(answers.map((r) => r.status))).toEqual({ 401: ALLOWANCE, 429: 60 - ALLOWANCE });
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.body).toEqual({ error: 'too_many_requests', error_description: expect.stringMatching(/^the auth_failures rate limit is reached; retry after \d+ s$/) });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  });

  test.each(ENDPOINTS)('at the %s endpoint, a right chosen secret among 30 wrong ones sent at once is checked only within the allowance', async (endpoint) => {
    const ip = address();
    const guesses = Array.from({ length: 30 }, (_, i) => `guess-${i}`);
    const answers = await Promise.all([...guesses, CHOSEN_SECRET].map((s) => call(endpoint, chosen.client_id, s, ip)));
    const statuses = answers.map((r) => r.status);
    // Whatever the order they arrive in, exactly the allowance was checked: the rest never reached the secret.
    expect(statuses.filter((s) => s !== 429)).toHaveLength(ALLOWANCE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(31 - ALLOWANCE);
    // Once spent, the right secret is refused like a wrong one.
    expect((await call(endpoint, chosen.client_id, CHOSEN_SECRET, ip)).status).toBe(429);
  });

  test.each([['generated', () => generated], ['chosen', () => chosen]] as const)(
    'a successful authentication with a %s secret does not use up the allowance',
    async (_kind, client) => {
      const ip = address();
      for (let i = 0; i < ALLOWANCE - 1; i++) expect((await call('token', client().client_id, `wrong-${i}`, ip)).status).toBe(401);
      expect((await call('token', client().client_id, client().client_secret, ip)).status).toBe(200);
      expect((await call('token', client().client_id, client().client_secret, ip)).status).toBe(200);
      expect((await call('token', client().client_id, 'wrong-last', ip)).status).toBe(401);
      expect((await call('token', client().client_id, 'wrong-over', ip)).status).toBe(429);
    },
  );

  test('every failed authentication costs one password hash at the current cost, whatever the id names; a right generated secret costs none', async () => {
    const counts = h.ctx.passwords.counts;
    const cases: Array<[string, string, string]> = [
      ['an unknown id', 'no-such-client', 'anything'],
      ['a client with a generated secret', generated.client_id, 'wrong'],
      ['a client with a chosen secret', chosen.client_id, 'wrong'],
      ['a public client presenting a secret', `public-${redis}`, 'anything'],
    ];
    await h.ctx.clients.create({ client_id: `public-${redis}`, public: true, redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'] });
    for (const [what, id, secret] of cases) {
      const before = { ...counts };
      for (const endpoint of ENDPOINTS) expect([what, (await call(endpoint, id, secret, address())).status]).toEqual([what, 401]);
      expect([what, counts.hashes - before.hashes, counts.atCurrentCost - before.atCurrentCost]).toEqual([what, 3, 3]);
    }
    const before = counts.hashes;
    expect((await call('token', generated.client_id, generated.client_secret, address())).status).toBe(200);
    expect(counts.hashes).toBe(before);
  });

  test('a claimed client_id reaches the audit log only when it names a client; a secret or a token sent as client_id is kept as a fingerprint', async () => {
    await h.ctx.users.putRole('reader', ['orders:read']);
    const owner = await h.ctx.users.create({ username: `owner-${redis}`, password: 'owner-password', roles: ['reader'] });
    const live = await h.ctx.apiTokens.create({ user: owner.id, name: 'live', scopes: ['orders:read'] }, { actor: { type: 'client', id: 'test' } });
    const exchanger = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read'] });
    const post = (fields: Record<string, string>) => request(h.app).post('/oauth/token').set('X-Forwarded-For', address()).type('form')
      .send({ grant_type: 'client_credentials', ...fields });
    // A secret typed into client_id (twice: the fingerprint is the same), a live API token as client_id, a known id.
    expect((await post({ client_id: generated.client_secret, client_secret: 'x' })).status).toBe(401);
    expect((await post({ client_id: generated.client_secret, client_secret: 'y' })).status).toBe(401);
    expect((await post({ client_id: live.token })).status).toBe(401);
    expect((await request(h.app).post('/oauth/introspect').auth(live.token, 'x').type('form').send({ token: 'x' })).status).toBe(401);
    expect((await post({ client_id: chosen.client_id, client_secret: 'wrong' })).status).toBe(401);
    await h.flushAudit();

    const admin = `Bearer ${await h.adminToken()}`;
    const listed = await request(h.app).get('/admin/v1/audit?type=client.authentication_failed&limit=200').set('Authorization', admin);
    const exported = await request(h.app).get('/admin/v1/audit/export?type=client.authentication_failed').set('Authorization', admin);
    for (const text of [JSON.stringify(listed.body), exported.text]) {
      expect(text).not.toContain(generated.client_secret);
      expect(text).not.toContain(live.token);
      expect(text).not.toMatch(/ts[pr]_[0-9A-Za-z]{20}/);
    }
    // Newest first: the known id as it is; the token (at two endpoints) and the secret (twice) each as one fingerprint.
    const [known, tokenAtIntrospection, tokenAtToken, secretAgain, secretFirst] = listed.body.items as Array<{ client_id: string | null; detail: Record<string, unknown> }>;
    expect(known).toMatchObject({ client_id: chosen.client_id, detail: { method: 'client_secret_post' } });
    expect(known!.detail.client_id_fingerprint).toBeUndefined();
    for (const e of [tokenAtIntrospection, tokenAtToken, secretAgain, secretFirst]) {
      expect(e).toMatchObject({ client_id: null, detail: { client_id_fingerprint: expect.stringMatching(/^fp_[A-Za-z0-9_-]{16}$/) } });
    }
    expect(tokenAtIntrospection!.detail.client_id_fingerprint).toBe(tokenAtToken!.detail.client_id_fingerprint);
    expect(secretAgain!.detail.client_id_fingerprint).toBe(secretFirst!.detail.client_id_fingerprint);
    expect(secretFirst!.detail.client_id_fingerprint).not.toBe(tokenAtToken!.detail.client_id_fingerprint);
    // And the exchange with the token still works: it was only looked at, never stored.
    expect((await request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form')
      .send({ grant_type: EXCHANGE, subject_token: live.token, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' })).status).toBe(200);
  });
});
