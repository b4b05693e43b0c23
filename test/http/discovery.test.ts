import http from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import request from 'supertest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startHarness, type Harness, ISSUER } from '../support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

describe('JWKS', () => {
  test('serves public keys only, with kid, alg, use and caching headers', async () => {
    const res = await request(h.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const { keys } = res.body as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(2); // the active key and the next one
    for (const k of keys) {
      expect(k).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
    }
    expect(keys.map((k) => k.kid)).toContain(h.ctx.keys.signingKey().kid);
  });

  test('If-None-Match with the current ETag is 304', async () => {
    const first = await request(h.app).get('/.well-known/jwks.json');
    const res = await request(h.app).get('/.well-known/jwks.json').set('If-None-Match', first.headers.etag!);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(first.headers.etag);
  });

  test('HEAD has the headers of GET and no body', async () => {
    const get = await request(h.app).get('/.well-known/jwks.json');
    const res = await request(h.app).head('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(get.headers.etag);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBeUndefined();
  });

  test('If-None-Match with another ETag is a full 200; * is a 304', async () => {
    const res = await request(h.app).get('/.well-known/jwks.json').set('If-None-Match', '"not-this-one"');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(2);
    expect((await request(h.app).get('/.well-known/jwks.json').set('If-None-Match', '*')).status).toBe(304);
  });

  test('POST is 405', async () => {
    const res = await request(h.app).post('/.well-known/jwks.json');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  test('a token verifies with jose createRemoteJWKSet over HTTP, before and after a key rotation', async () => {
    const server = http.createServer(h.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`));
      const c = await h.createClient({ scopes: ['x'], audiences: ['https://rs.example.com'] });
      const before = await h.clientToken(c.client_id, c.client_secret);
      const opts = { issuer: ISSUER, audience: 'https://rs.example.com', typ: 'at+jwt' };
      const v1 = await jwtVerify(before, jwks, opts);

      const rotated = await request(h.app).post('/admin/v1/keys/rotate').set('Authorization', `Bearer ${await h.adminToken()}`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.retired).toBe(v1.protectedHeader.kid);

      const after = await h.clientToken(c.client_id, c.client_secret);
      const v2 = await jwtVerify(after, jwks, opts);
      expect(v2.protectedHeader.kid).toBe(rotated.body.active);
      expect(v2.protectedHeader.kid).not.toBe(v1.protectedHeader.kid);
      // The old key stays published until its tokens have expired.
      await expect(jwtVerify(before, createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`)), opts)).resolves.toBeDefined();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('metadata (RFC 8414)', () => {
  const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

  test('lists exactly the endpoints and methods the server supports', async () => {
    const res = await request(h.app).get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      leaked_token_endpoint: `${ISSUER}/oauth/leaked`,
      revocation_feed_endpoint: `${ISSUER}/oauth/revocations`,
      grant_types_supported: [
        'authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
      ],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      access_token_signing_alg_values_supported: ['EdDSA', 'ES256', 'RS256', 'PS256'],
      // Asymmetric only: no client_secret_jwt, no HMAC-signed proof.
      token_endpoint_auth_signing_alg_values_supported: ASYMMETRIC,
      revocation_endpoint_auth_signing_alg_values_supported: ASYMMETRIC,
      introspection_endpoint_auth_signing_alg_values_supported: ASYMMETRIC,
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    });
  });

  test('carries a strong ETag and caching headers; If-None-Match with it is 304 without a body', async () => {
    const first = await request(h.app).get('/.well-known/oauth-authorization-server');
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=300');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.headers['content-length']).toBe(String(Buffer.byteLength(first.text)));
    const again = await request(h.app).get('/.well-known/oauth-authorization-server').set('If-None-Match', first.headers.etag!);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['cache-control']).toBe('public, max-age=300');
    const other = await request(h.app).get('/.well-known/oauth-authorization-server').set('If-None-Match', '"stale"');
    expect(other.status).toBe(200);
    expect(other.body).toEqual(first.body);
  });
});

describe('admin keys', () => {
  test('lists keys with their states and no private material', async () => {
    const res = await request(h.app).get('/admin/v1/keys').set('Authorization', `Bearer ${await h.adminToken()}`);
    expect(res.status).toBe(200);
    const states = res.body.items.map((k: { state: string }) => k.state);
    expect(states).toContain('active');
    expect(states).toContain('next');
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE|"d"/);
  });
});

describe('health', () => {
  test('/healthz answers ok', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('/readyz is ready when the store answers and keys are loaded', async () => {
    const res = await request(h.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', store: 'memory', checks: { store: 'ok', keys: 'ok' } });
  });

  test('an unknown path is a JSON 404', async () => {
    const res = await request(h.app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
  });

  test("every answer carries exactly helmet's default security headers, login pages excepted", async () => {
    // helmet's own middleware on a bare Node server: what the headers computed once at start must equal.
    const reference = http.createServer((req, res) => helmet()(req, res, () => res.end()));
    await new Promise<void>((r) => reference.listen(0, '127.0.0.1', r));
    const expected: Record<string, string> = {};
    try {
      const answer = await fetch(`http://127.0.0.1:${(reference.address() as AddressInfo).port}/`);
      answer.headers.forEach((value, name) => { expected[name] = value; });
    } finally {
      await new Promise((r) => reference.close(r));
    }
    const names = Object.keys(expected).filter((k) => !['content-length', 'date', 'connection', 'keep-alive'].includes(k));
    expect(names).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-frame-options', 'x-content-type-options', 'cross-origin-opener-policy']));
    for (const path of ['/healthz', '/nope', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/oauth/token']) {
      const res = path === '/oauth/token' ? await request(h.app).post(path).type('form').send('grant_type=client_credentials') : await request(h.app).get(path);
      for (const name of names) expect([path, name, res.headers[name]]).toEqual([path, name, expected[name]]);
    }
  });

  test('helmet headers are on every answer', async () => {
    for (const path of ['/healthz', '/nope', '/.well-known/jwks.json']) {
      const res = await request(h.app).get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
