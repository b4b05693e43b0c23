import request from 'supertest';
import { SignJWT, generateKeyPair } from 'jose';
import { startHarness, type Harness, decodeJwt, ISSUER } from '../support/harness.js';

let h: Harness;
let api: { client_id: string; client_secret: string };
let rs: { client_id: string; client_secret: string };

beforeAll(async () => {
  h = await startHarness();
  api = await h.createClient({ client_id: 'api-client', scopes: ['orders:read'], audiences: ['https://api.example.com'] });
  rs = await h.createClient({ client_id: 'resource-server', scopes: [] , grant_types: ['client_credentials'] });
});
afterAll(async () => { await h.stop(); });

const introspect = (tok: string, auth = rs) =>
  request(h.app).post('/oauth/introspect').auth(auth.client_id, auth.client_secret).type('form').send({ token: tok });
const revoke = (tok: string, auth = api, extra: Record<string, string> = {}) =>
  request(h.app).post('/oauth/revoke').auth(auth.client_id, auth.client_secret).type('form').send({ token: tok, ...extra });

describe('introspection (RFC 7662)', () => {
  test('a live token is active with its claims', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    const claims = decodeJwt(tok).payload;
    const res = await introspect(tok);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true, scope: 'orders:read', client_id: 'api-client', token_type: 'Bearer',
      exp: claims.exp, iat: claims.iat, sub: 'api-client', aud: 'https://api.example.com', iss: ISSUER, jti: claims.jti,
    });
  });

  test('garbage is inactive and nothing more', async () => {
    const res = await introspect('not-a-token');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  test('an alg none token is inactive', async () => {
    const real = decodeJwt(await h.clientToken(api.client_id, api.client_secret)).payload;
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${enc({ alg: 'none', typ: 'at+jwt' })}.${enc(real)}.`;
    expect((await introspect(forged)).body).toEqual({ active: false });
    expect((await introspect(`${forged}AAAA`)).body).toEqual({ active: false });
  });

  test('a tampered payload is inactive', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    const [hd, p, s] = tok.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    claims.scope = 'tessera:admin';
    const tampered = `${hd}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect((await introspect(tampered)).body).toEqual({ active: false });
  });

  test('a token signed by a foreign key with our kid is inactive', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const kid = h.ctx.keys.signingKey().kid;
    const foreign = await new SignJWT({ client_id: 'api-client', scope: 'orders:read' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }).setIssuer(ISSUER).setSubject('api-client')
      .setAudience(ISSUER).setIssuedAt().setExpirationTime('5m').setJti('x').sign(privateKey);
    expect((await introspect(foreign)).body).toEqual({ active: false });
  });

  test('an expired token is inactive', async () => {
    const key = h.ctx.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ client_id: 'api-client', scope: 'orders:read' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).setIssuer(ISSUER).setSubject('api-client')
      .setAudience(ISSUER).setIssuedAt(now - 3600).setExpirationTime(now - 1800).setJti('old').sign(key.privateKey);
    expect((await introspect(expired)).body).toEqual({ active: false });
  });

  test('a token of a deleted client is inactive', async () => {
    const c = await h.createClient({ scopes: ['x'] });
    const tok = await h.clientToken(c.client_id, c.client_secret);
    await request(h.app).delete(`/admin/v1/clients/${c.client_id}`).set('Authorization', `Bearer ${await h.adminToken()}`).expect(204);
    expect((await introspect(tok)).body).toEqual({ active: false });
  });

  test('the caller must authenticate', async () => {
    const res = await request(h.app).post('/oauth/introspect').type('form').send({ token: 'x' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  test('a public client cannot introspect', async () => {
    const res = await request(h.app).post('/oauth/introspect').type('form').send({ token: 'x', client_id: 'api-client' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  test('a missing token is invalid_request', async () => {
    const res = await request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'token is required' });
  });
});

describe('revocation (RFC 7009)', () => {
  test('revoking an access token makes it inactive and is 200 with an empty body', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    const res = await revoke(tok, api, { token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await introspect(tok)).body).toEqual({ active: false });
  });

  test('revoking puts the token id on the revocation list', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    const { jti } = decodeJwt(tok).payload as { jti: string };
    await revoke(tok).expect(200);
    expect(await h.ctx.store.revocations.has(jti)).toBe(true);
  });

  test('a wrong token_type_hint does not stop the revocation', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    await revoke(tok, api, { token_type_hint: 'refresh_token' }).expect(200);
    expect((await introspect(tok)).body).toEqual({ active: false });
  });

  test('an unknown token is 200', async () => {
    expect((await revoke('tsr_unknown')).status).toBe(200);
    expect((await revoke('a.b.c')).status).toBe(200);
  });

  test('another client cannot revoke the token', async () => {
    const tok = await h.clientToken(api.client_id, api.client_secret);
    const res = await revoke(tok, rs);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'this token was not issued to this client' });
    expect((await introspect(tok)).body.active).toBe(true);
  });

  test('a revoked admin token is refused by the admin API with an RFC 6750 challenge', async () => {
    const admin = await h.adminToken();
    await request(h.app).post('/oauth/revoke').auth('tessera-admin', 'admin-secret-for-tests-0123456789').type('form').send({ token: admin }).expect(200);
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token", error_description="token has been revoked"');
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'token has been revoked' });
  });

  test('a missing token is invalid_request', async () => {
    const res = await request(h.app).post('/oauth/revoke').auth(api.client_id, api.client_secret).type('form').send({});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('bad client credentials are invalid_client', async () => {
    const res = await revoke('x', { client_id: api.client_id, client_secret: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});
