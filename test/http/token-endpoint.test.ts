import request from 'supertest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startHarness, type Harness, decodeJwt, ISSUER } from '../support/harness.js';

let h: Harness;
let billing: { client_id: string; client_secret: string };

beforeAll(async () => {
  h = await startHarness();
  billing = await h.createClient({
    client_id: 'billing-service',
    scopes: ['orders:read', 'orders:write'],
    default_scopes: ['orders:read'],
    audiences: ['https://api.example.com', 'https://ledger.example.com'],
  });
});
afterAll(async () => { await h.stop(); });

const token = () => request(h.app).post('/oauth/token').type('form');

describe('client_credentials', () => {
  test('issues an RFC 9068 access token with no-store headers', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', scope: 'orders:write' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'orders:write' });

    const jwks = createLocalJWKSet(JSON.parse(h.ctx.keys.jwks().body));
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, { issuer: ISSUER, typ: 'at+jwt' });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: h.ctx.keys.signingKey().kid, typ: 'at+jwt' });
    expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
    expect(payload).toMatchObject({ sub: 'billing-service', client_id: 'billing-service', scope: 'orders:write' });
    expect(payload.aud).toEqual(['https://api.example.com', 'https://ledger.example.com']);
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  test('client_secret_post works like Basic', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: billing.client_id, client_secret: billing.client_secret });
    expect(res.status).toBe(200);
  });

  test('no scope asked means the client default set', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials' });
    expect(res.body.scope).toBe('orders:read');
  });

  test('a resource parameter narrows aud to that audience (RFC 8707)', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send('grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com');
    expect(decodeJwt(res.body.access_token).payload.aud).toBe('https://api.example.com');
  });

  test('resource may repeat', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret)
      .send('grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com&resource=https%3A%2F%2Fledger.example.com');
    expect(decodeJwt(res.body.access_token).payload.aud).toEqual(['https://api.example.com', 'https://ledger.example.com']);
  });

  test('a client with no audiences gets tokens for this server', async () => {
    const c = await h.createClient({ scopes: ['a'] });
    const t = await h.clientToken(c.client_id, c.client_secret);
    expect(decodeJwt(t).payload.aud).toBe(ISSUER);
  });

  test('each token has its own jti', async () => {
    const a = await h.clientToken(billing.client_id, billing.client_secret);
    const b = await h.clientToken(billing.client_id, billing.client_secret);
    expect(decodeJwt(a).payload.jti).not.toBe(decodeJwt(b).payload.jti);
  });
});

describe('token endpoint errors', () => {
  const expectError = (res: request.Response, status: number, error: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error, error_description: expect.any(String) });
    expect(res.headers['cache-control']).toBe('no-store');
  };

  test('a wrong secret is invalid_client with a Basic challenge', async () => {
    const res = await token().auth(billing.client_id, 'wrong-secret').send({ grant_type: 'client_credentials' });
    expectError(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
  });

  test('an unknown client is invalid_client', async () => {
    const res = await token().auth('nobody', 'secret').send({ grant_type: 'client_credentials' });
    expectError(res, 401, 'invalid_client');
  });

  test('a wrong client_secret_post is invalid_client, 401 with a challenge', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: billing.client_id, client_secret: 'nope' });
    expectError(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
  });

  test('no client authentication at all is invalid_client', async () => {
    expectError(await token().send({ grant_type: 'client_credentials' }), 401, 'invalid_client');
  });

  test('Basic and client_secret_post at once is invalid_request', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', client_secret: billing.client_secret });
    expectError(res, 400, 'invalid_request');
  });

  test('a client_id in the body that differs from Basic is invalid_request', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', client_id: 'other' });
    expectError(res, 400, 'invalid_request');
  });

  test('a missing grant_type is invalid_request', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ scope: 'orders:read' }), 400, 'invalid_request');
  });

  test('an unknown grant_type is unsupported_grant_type', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'password' }), 400, 'unsupported_grant_type');
  });

  test('a grant the client may not use is unauthorized_client', async () => {
    const c = await h.createClient({ grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], scopes: ['x'] });
    expectError(await token().auth(c.client_id, c.client_secret).send({ grant_type: 'client_credentials' }), 400, 'unauthorized_client');
  });

  test('a scope outside the client is invalid_scope', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', scope: 'orders:read admin' }), 400, 'invalid_scope');
  });

  test('a scope with a forbidden character is invalid_scope', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', scope: 'orders:read "x' }), 400, 'invalid_scope');
  });

  test('a resource outside the client audiences is invalid_target', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', resource: 'https://evil.example.com' }), 400, 'invalid_target');
  });

  test('a relative resource is invalid_target', async () => {
    expectError(await token().auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials', resource: '/api' }), 400, 'invalid_target');
  });

  test('a repeated parameter is invalid_request (RFC 6749 §3.2)', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send('grant_type=client_credentials&scope=orders:read&scope=orders:write');
    expectError(res, 400, 'invalid_request');
    expect(res.body.error_description).toBe('parameter scope is repeated');
  });

  test('an empty parameter counts as absent (RFC 6749 §3.2)', async () => {
    const res = await token().auth(billing.client_id, billing.client_secret).send('grant_type=client_credentials&scope=');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:read');
  });

  test('a JSON body is invalid_request', async () => {
    const res = await request(h.app).post('/oauth/token').auth(billing.client_id, billing.client_secret).send({ grant_type: 'client_credentials' });
    expectError(res, 400, 'invalid_request');
    expect(res.body.error_description).toBe('the request body must be application/x-www-form-urlencoded');
  });

  test('GET is 405 with Allow: POST', async () => {
    const res = await request(h.app).get('/oauth/token');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error).toBe('method_not_allowed');
  });
});
