/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3; OIDC Core §9)
 * at the token, revocation and introspection endpoints: every assertion
 * rule refuses with invalid_client, failures are counted and audited with
 * their reason, a client registered for it accepts nothing else. Keys
 * inline (`jwks`) and fetched (`jwks_uri`, from a server on loopback).
 */
import request from 'supertest';
import { SignJWT, UnsecuredJWT } from 'jose';
import { decodeJwt, ISSUER, startHarness, type Harness } from '../support/harness.js';
import { assertion, clientKey, jwksOf, type ClientKey } from '../support/client-keys.js';
import { startLocalIssuer, type LocalIssuer } from '../support/local-issuer.js';

const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_URL = `${ISSUER}/oauth/token`;

describe.each(['memory', 'redis'] as const)('private_key_jwt, on the %s store', (kind) => {
  let h: Harness;
  let key: ClientKey;
  let keyServer: LocalIssuer;
  beforeAll(async () => {
    h = await startHarness({ redis: kind === 'redis' });
    key = await clientKey('ES256');
    keyServer = await startLocalIssuer();
    keyServer.publish(key);
    await h.createClient({ client_id: 'signer', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), scopes: ['orders:read'] });
    await h.createClient({ client_id: 'remote-signer', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: keyServer.jwksUri, scopes: ['orders:read'] });
  });
  afterAll(async () => {
    await h.stop();
    await keyServer.close();
  });

  const tokenWith = (a: string, extra: Record<string, string> = {}) =>
    request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: a, ...extra });
  const expectInvalidClient = (res: request.Response) => {
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect(res.headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
  };
  const lastFailure = () => [...h.audit.events].reverse().find((e) => e.type === 'client.authentication_failed');

  test('a client with jwks gets a token with an assertion for the token endpoint; the client answers say how it authenticates', async () => {
    const res = await tokenWith(await assertion(key, { clientId: 'signer', aud: TOKEN_URL }));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({ sub: 'signer', client_id: 'signer', scope: 'orders:read' });
    const view = await request(h.app).get('/admin/v1/clients/signer').set('Authorization', `Bearer ${await h.adminToken()}`);
    expect(view.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), jwks_uri: null, secret_rotated_at: null, public: false });
  });

  test('aud may be the issuer, or the token endpoint URL inside a list (openid-client sends the issuer)', async () => {
    expect((await tokenWith(await assertion(key, { clientId: 'signer', aud: ISSUER }))).status).toBe(200);
    expect((await tokenWith(await assertion(key, { clientId: 'signer', aud: ['https://elsewhere.example', TOKEN_URL] }))).status).toBe(200);
  });

  test('client_id may come too, and must be the assertion\'s sub', async () => {
    expect((await tokenWith(await assertion(key, { clientId: 'signer', aud: ISSUER }), { client_id: 'signer' })).status).toBe(200);
    const other = await tokenWith(await assertion(key, { clientId: 'signer', aud: ISSUER }), { client_id: 'remote-signer' });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ error: 'invalid_request', error_description: "client_id does not match the client_assertion's sub" });
  });

  // When a set is fetched again (expiry, a kid rotated in, the cool-down): test/core/remote-key-sets.test.ts.
  test('keys fetched from jwks_uri: fetched once, then cached', async () => {
    const before = keyServer.hits.jwks;
    expect((await tokenWith(await assertion(key, { clientId: 'remote-signer', aud: TOKEN_URL }))).status).toBe(200);
    expect((await tokenWith(await assertion(key, { clientId: 'remote-signer', aud: TOKEN_URL }))).status).toBe(200);
    expect((await tokenWith(await assertion(key, { clientId: 'remote-signer', aud: TOKEN_URL }))).status).toBe(200);
    expect(keyServer.hits.jwks - before).toBeLessThanOrEqual(1);
  });

  test.each([
    ['a wrong aud', { aud: 'https://other-server.example/oauth/token' }, 'audience'],
    ['an expired assertion', { aud: TOKEN_URL, iat: Math.floor(Date.now() / 1000) - 3600, expiresIn: 60 }, 'expired'],
    ['one that lives too long (an hour; 600 s is the most)', { aud: TOKEN_URL, expiresIn: 3600 }, 'too_long_lived'],
    ['one issued in the future', { aud: TOKEN_URL, iat: Math.floor(Date.now() / 1000) + 600, expiresIn: 60 }, 'issued_in_future'],
    ['no jti', { aud: TOKEN_URL, jti: null }, 'missing_claim'],
    ['iss not the client', { aud: TOKEN_URL, iss: 'someone-else' }, 'issuer'],
  ])('%s is invalid_client, audited with its reason', async (_what, claims, reason) => {
    const res = await tokenWith(await assertion(key, { clientId: 'signer', ...claims }));
    expectInvalidClient(res);
    expect(lastFailure()).toMatchObject({ client_id: 'signer', detail: { method: 'private_key_jwt', reason } });
  });

  test('a replayed jti is refused: the second use of the same assertion, and a new assertion with a used jti', async () => {
    const a = await assertion(key, { clientId: 'signer', aud: TOKEN_URL, jti: `jti-${kind}-1` });
    expect((await tokenWith(a)).status).toBe(200);
    expectInvalidClient(await tokenWith(a));
    expect(lastFailure()?.detail).toMatchObject({ reason: 'replayed' });
    expectInvalidClient(await tokenWith(await assertion(key, { clientId: 'signer', aud: TOKEN_URL, jti: `jti-${kind}-1` })));
  });

  test('an unknown key (another key, or a kid not in the set) is refused', async () => {
    const stranger = await clientKey('ES256', key.kid);
    expectInvalidClient(await tokenWith(await assertion(stranger, { clientId: 'signer', aud: TOKEN_URL })));
    expect(lastFailure()?.detail).toMatchObject({ reason: 'signature' });
    const unknownKid = await clientKey('ES256');
    expectInvalidClient(await tokenWith(await assertion(unknownKid, { clientId: 'signer', aud: TOKEN_URL })));
    expect(lastFailure()?.detail).toMatchObject({ reason: 'unknown_key' });
  });

  test('a wrong alg is refused: HS256 (a shared secret), none, and a header alg the key does not have', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'signer', sub: 'signer', aud: TOKEN_URL, iat: now, exp: now + 60, jti: 'x' };
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
    expectInvalidClient(await tokenWith(hs));
    expect(lastFailure()?.detail).toMatchObject({ reason: 'algorithm' });
    expectInvalidClient(await tokenWith(new UnsecuredJWT(claims).encode()));
    // The registered key is EC (ES256): a PS256 header with its kid finds no key to check with.
    const rsaKey = await clientKey('PS256');
    const mislabelled = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: key.kid }).sign(rsaKey.privateKey);
    expectInvalidClient(await tokenWith(mislabelled));
    expect(lastFailure()?.detail).toMatchObject({ reason: 'unknown_key' });
  });

  test('a private_key_jwt client accepts nothing else: a secret, or naming itself, is refused', async () => {
    expectInvalidClient(await request(h.app).post('/oauth/token').auth('signer', 'any-secret-at-all-1234').type('form').send({ grant_type: 'client_credentials' }));
    expectInvalidClient(await request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'signer' }));
  });

  test('a client with a secret cannot authenticate with an assertion; an unknown client and garbage are invalid_client too', async () => {
    const svc = await h.createClient({ client_id: `secret-holder-${kind}`, scopes: [] });
    expectInvalidClient(await tokenWith(await assertion(key, { clientId: svc.client_id, aud: TOKEN_URL })));
    expect(lastFailure()).toMatchObject({ client_id: svc.client_id, detail: { method: 'private_key_jwt', reason: 'unknown_key' } });
    expectInvalidClient(await tokenWith(await assertion(key, { clientId: 'nobody-here', aud: TOKEN_URL })));
    expect(lastFailure()).toMatchObject({ client_id: null, detail: { reason: 'unknown_client', client_id_fingerprint: expect.stringMatching(/^fp_/) } });
    expectInvalidClient(await tokenWith('not.a.jwt'));
  });

  test('malformed combinations are invalid_request', async () => {
    const a = await assertion(key, { clientId: 'signer', aud: TOKEN_URL });
    const cases: Array<[request.Test, string]> = [
      [request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_assertion: a }), 'send client_assertion and client_assertion_type together'],
      [request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_assertion: a, client_assertion_type: 'urn:x' }), `client_assertion_type must be ${TYPE}`],
      [request(h.app).post('/oauth/token').auth('signer', 'x').type('form').send({ grant_type: 'client_credentials', client_assertion: a, client_assertion_type: TYPE }), 'use one client authentication method, not both Basic and client_assertion'],
      [request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_assertion: a, client_assertion_type: TYPE, client_secret: 'x' }), 'use one client authentication method, not both client_assertion and client_secret'],
    ];
    for (const [req, description] of cases) {
      const res = await req;
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
    }
  });

  test('at the revocation and introspection endpoints too (aud: that endpoint or the issuer)', async () => {
    const issued = await tokenWith(await assertion(key, { clientId: 'signer', aud: TOKEN_URL }));
    const t = issued.body.access_token as string;
    const introspect = await request(h.app).post('/oauth/introspect').type('form')
      .send({ token: t, client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'signer', aud: `${ISSUER}/oauth/introspect` }) });
    expect(introspect.status).toBe(200);
    expect(introspect.body).toMatchObject({ active: true, client_id: 'signer' });
    const revoke = await request(h.app).post('/oauth/revoke').type('form')
      .send({ token: t, client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'signer', aud: ISSUER }) });
    expect(revoke.status).toBe(200);
    const after = await request(h.app).post('/oauth/introspect').type('form')
      .send({ token: t, client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'signer', aud: ISSUER }) });
    expect(after.body).toEqual({ active: false });
    const bad = await request(h.app).post('/oauth/introspect').type('form')
      .send({ token: t, client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'signer', aud: 'https://elsewhere.example' }) });
    expectInvalidClient(bad);
  });
});

describe('private_key_jwt failures are counted per address', () => {
  let h: Harness;
  let key: ClientKey;
  beforeAll(async () => {
    h = await startHarness({ env: { TESSERA_RATE_LIMIT_AUTH_FAILURES: '3/60' } });
    key = await clientKey('EdDSA');
    await h.createClient({ client_id: 'signer', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), scopes: [] });
  });
  afterAll(async () => { await h.stop(); });

  test('three bad assertions spend the allowance; then even a good one is refused with 429', async () => {
    const send = (a: string) => request(h.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: a });
    expect((await send(await assertion(key, { clientId: 'signer', aud: TOKEN_URL }))).status).toBe(200);
    const bad = await Promise.all([1, 2, 3].map(async () => send(await assertion(key, { clientId: 'signer', aud: 'https://wrong.example' }))));
    expect(bad.map((r) => r.status)).toEqual([401, 401, 401]);
    const good = await send(await assertion(key, { clientId: 'signer', aud: TOKEN_URL }));
    expect(good.status).toBe(429);
    expect(good.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('a private_key_jwt client whose jwks_uri cannot be had', () => {
  let h: Harness;
  let key: ClientKey;
  let keyServer: LocalIssuer;
  beforeAll(async () => {
    h = await startHarness();
    key = await clientKey('ES256');
    keyServer = await startLocalIssuer();
    keyServer.publish(key);
    await h.createClient({ client_id: 'flaky', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: keyServer.jwksUri, scopes: [] });
  });
  afterAll(async () => {
    await h.stop();
    await keyServer.close();
  });

  test('gets 503 temporarily_unavailable (not counted as a failure); a redirect is not followed', async () => {
    for (const m of [{ status: 500 }, { redirectTo: 'http://127.0.0.1:1/elsewhere' }, { body: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' }]) {
      keyServer.misbehave(m);
      const res = await request(h.app).post('/oauth/token').type('form')
        .send({ grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'flaky', aud: TOKEN_URL }) });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: "the client's keys could not be fetched; retry shortly" });
      expect(res.headers['retry-after']).toBe('5');
    }
    keyServer.misbehave(null);
    const ok = await request(h.app).post('/oauth/token').type('form')
      .send({ grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await assertion(key, { clientId: 'flaky', aud: TOKEN_URL }) });
    expect(ok.status).toBe(200);
  });
});
