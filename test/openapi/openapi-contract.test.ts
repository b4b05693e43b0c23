/**
 * Every operation outside /admin/v1 that openapi.yaml documents, driven for
 * real through each status it documents; each answer is checked against the
 * spec. The last block closes the store (503s), and the last test fails if
 * any documented (operation, status) of these paths was not exercised.
 */
import request from 'supertest';
import { ADMIN_SECRET, startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, loadOpenApi, unexercised } from '../support/openapi.js';

let h: Harness;
let svc: { client_id: string; client_secret: string };
let refresher: { client_id: string; client_secret: string };
const PUBLIC_ID = 'oa-public';
const API = 'https://api.example.com';
const OTHER = 'https://other.example.com';

beforeAll(async () => {
  h = await startHarness();
  svc = await h.createClient({ client_id: 'oa-svc', scopes: ['orders:read', 'orders:write'], audiences: [API, OTHER] });
  refresher = await h.createClient({ client_id: 'oa-refresh', grant_types: ['refresh_token'] });
  await h.createClient({ client_id: PUBLIC_ID, public: true, redirect_uris: ['http://localhost:5173/cb'] });
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const form = (path: string, fields: Record<string, string> | string, basic?: [string, string]) => {
  const req = request(h.app).post(path).type('form').send(typeof fields === 'string' ? fields : new URLSearchParams(fields).toString());
  return basic ? req.auth(basic[0], basic[1]) : req;
};
const asSvc = (): [string, string] => [svc.client_id, svc.client_secret];
const token = async (extra: Record<string, string> = {}) =>
  (await hit(form('/oauth/token', { grant_type: 'client_credentials', ...extra }, asSvc()), 200)).body.access_token as string;

describe('discovery and health', () => {
  test('metadata: 200 (and HEAD) with ETag, 304 with If-None-Match, 405; its grant types are exactly the TokenRequest enum', async () => {
    const res = await hit(request(h.app).get('/.well-known/oauth-authorization-server'), 200);
    await hit(request(h.app).get('/.well-known/oauth-authorization-server').set('If-None-Match', res.headers.etag!), 304);
    await hit(request(h.app).head('/.well-known/oauth-authorization-server'), 200);
    await hit(request(h.app).post('/.well-known/oauth-authorization-server'), 405);
    const schemas = (loadOpenApi().components as { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> }).schemas;
    expect([...res.body.grant_types_supported].sort()).toEqual([...schemas.TokenRequest!.properties.grant_type!.enum!].sort());
  });

  test('JWKS: 200 with ETag, 304 with If-None-Match, 405', async () => {
    const res = await hit(request(h.app).get('/.well-known/jwks.json'), 200);
    await hit(request(h.app).get('/.well-known/jwks.json').set('If-None-Match', res.headers.etag!), 304);
    await hit(request(h.app).head('/.well-known/jwks.json'), 200);
    await hit(request(h.app).get('/.well-known/jwks.json').set('If-None-Match', '"stale"'), 200);
    await hit(request(h.app).delete('/.well-known/jwks.json'), 405);
  });

  test('GET /: 200 as JSON and as HTML (and HEAD), 405', async () => {
    await hit(request(h.app).get('/'), 200);
    await hit(request(h.app).get('/').set('Accept', 'text/html'), 200);
    await hit(request(h.app).head('/'), 200);
    await hit(request(h.app).put('/'), 405);
  });

  test('healthz and readyz: 200, and 405 for other methods', async () => {
    await hit(request(h.app).get('/healthz'), 200);
    await hit(request(h.app).get('/readyz'), 200);
    await hit(request(h.app).post('/healthz'), 405);
    await hit(request(h.app).post('/readyz'), 405);
  });
});

describe('POST /oauth/token', () => {
  test('200 with client_secret_basic and with client_secret_post, resource repeated', async () => {
    await token();
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: svc.client_id, client_secret: svc.client_secret, scope: 'orders:read' });
    body.append('resource', API);
    body.append('resource', OTHER);
    const res = await hit(form('/oauth/token', body.toString()), 200);
    expect(res.body.scope).toBe('orders:read');
  });

  test.each([
    ['no grant_type', {}, 'invalid_request'],
    ['an unknown grant', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['a scope outside the client', { grant_type: 'client_credentials', scope: 'admin' }, 'invalid_scope'],
    ['a resource not an audience', { grant_type: 'client_credentials', resource: 'https://evil.example' }, 'invalid_target'],
    ['a grant the client lacks', { grant_type: 'refresh_token', refresh_token: 'tsr_x' }, 'unauthorized_client'],
  ])('400 for %s', async (_what, fields, error) => {
    const res = await hit(form('/oauth/token', fields as Record<string, string>, asSvc()), 400);
    expect(res.body.error).toBe(error);
  });

  test('400 invalid_grant for an unknown refresh token; invalid_request for a repeated parameter or a JSON body', async () => {
    const fields = { grant_type: 'refresh_token', refresh_token: 'tsr_0000000000000000000000000000000000000A' };
    expect((await hit(form('/oauth/token', fields, [refresher.client_id, refresher.client_secret]), 400)).body.error).toBe('invalid_grant');
    expect((await hit(form('/oauth/token', 'grant_type=client_credentials&grant_type=client_credentials', asSvc()), 400)).body.error).toBe('invalid_request');
    const json = request(h.app).post('/oauth/token').auth(...asSvc()).send({ grant_type: 'client_credentials' });
    expect((await hit(json, 400)).body.error).toBe('invalid_request');
  });

  test('401 invalid_client with a Basic challenge: wrong secret, no authentication, malformed Basic, public client', async () => {
    await hit(form('/oauth/token', { grant_type: 'client_credentials' }, [svc.client_id, 'wrong-secret']), 401);
    await hit(form('/oauth/token', { grant_type: 'client_credentials' }), 401);
    await hit(form('/oauth/token', { grant_type: 'client_credentials', client_id: svc.client_id, client_secret: 'nope' }), 401);
    await hit(form('/oauth/token', { grant_type: 'client_credentials' }).set('Authorization', 'Basic !!!'), 401);
    await hit(form('/oauth/token', { grant_type: 'client_credentials', client_id: 'no-such-client' }), 401);
  });
});

describe('POST /oauth/revoke', () => {
  test('200 with no body: own token, unknown token, a public client naming itself', async () => {
    await hit(form('/oauth/revoke', { token: await token() }, asSvc()), 200);
    await hit(form('/oauth/revoke', { token: 'not-a-token', token_type_hint: 'refresh_token' }, asSvc()), 200);
    await hit(form('/oauth/revoke', { token: 'a.b.c', client_id: PUBLIC_ID }), 200);
  });

  test('400: no token; a live token of another client', async () => {
    await hit(form('/oauth/revoke', {}, asSvc()), 400);
    const res = await hit(form('/oauth/revoke', { token: await token() }, ['tessera-admin', ADMIN_SECRET]), 400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('401: wrong secret, unknown public client', async () => {
    await hit(form('/oauth/revoke', { token: 'x' }, [svc.client_id, 'wrong']), 401);
    await hit(form('/oauth/revoke', { token: 'x', client_id: 'nobody' }), 401);
  });
});

describe('POST /oauth/introspect', () => {
  test('200 active (aud array) and inactive (revoked, garbage)', async () => {
    const multi = new URLSearchParams({ grant_type: 'client_credentials' });
    multi.append('resource', API);
    multi.append('resource', OTHER);
    const t = (await hit(form('/oauth/token', multi.toString(), asSvc()), 200)).body.access_token as string;
    const active = await hit(form('/oauth/introspect', { token: t, token_type_hint: 'access_token' }, asSvc()), 200);
    expect(active.body).toMatchObject({ active: true, client_id: svc.client_id, aud: [API, OTHER] });
    const one = await token({ resource: API });
    const single = await hit(form('/oauth/introspect', { token: one, client_id: svc.client_id, client_secret: svc.client_secret }), 200);
    expect(single.body.aud).toBe(API);
    await hit(form('/oauth/revoke', { token: t }, asSvc()), 200);
    expect((await hit(form('/oauth/introspect', { token: t }, asSvc()), 200)).body).toEqual({ active: false });
    expect((await hit(form('/oauth/introspect', { token: 'garbage' }, asSvc()), 200)).body).toEqual({ active: false });
  });

  test('400 without token; 401 without authentication or as a public client', async () => {
    await hit(form('/oauth/introspect', {}, asSvc()), 400);
    await hit(form('/oauth/introspect', { token: 'x' }), 401);
    await hit(form('/oauth/introspect', { token: 'x', client_id: PUBLIC_ID }), 401);
    await hit(form('/oauth/introspect', { token: 'x' }, [svc.client_id, 'wrong']), 401);
  });
});

describe.each(['/oauth/token', '/oauth/revoke', '/oauth/introspect'])('%s: transport errors', (path) => {
  test('405 for other methods, with Allow', async () => {
    const res = await hit(request(h.app).get(path), 405);
    expect(res.headers.allow).toBe('POST');
    await hit(request(h.app).put(path), 405);
  });

  test('413 for a body over 16 kB', async () => {
    await hit(form(path, `token=${'x'.repeat(17 * 1024)}`, asSvc()), 413);
  });

  test('415 for a charset or encoding the server cannot decode', async () => {
    await hit(request(h.app).post(path).auth(...asSvc()).set('Content-Type', 'application/x-www-form-urlencoded; charset=klingon').send('token=x'), 415);
    await hit(request(h.app).post(path).auth(...asSvc()).set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'bogus').send('token=x'), 415);
  });
});

describe('GET /oauth/revocations', () => {
  test('200 with ETag, 304 with If-None-Match, HEAD, 400 for a bad cursor, 405', async () => {
    const res = await hit(request(h.app).get('/oauth/revocations'), 200);
    expect(res.headers['content-type']).toBe('application/jwt');
    await hit(request(h.app).get('/oauth/revocations').set('If-None-Match', res.headers.etag!), 304);
    await hit(request(h.app).head('/oauth/revocations'), 200);
    await hit(request(h.app).get('/oauth/revocations?since=not-a-cursor'), 400);
    await hit(request(h.app).post('/oauth/revocations'), 405);
  });
});

describe('with the store unreachable', () => {
  let adminToken: string;
  beforeAll(async () => {
    adminToken = await h.adminToken();
    await h.ctx.store.close();
  });

  test('readyz is 503, token/revoke/introspect are 503 temporarily_unavailable with Retry-After', async () => {
    expect((await hit(request(h.app).get('/readyz'), 503)).body.checks.store).toBe('unavailable');
    await hit(request(h.app).get('/healthz'), 200);
    await hit(form('/oauth/token', { grant_type: 'client_credentials' }, ['tessera-admin', ADMIN_SECRET]), 503);
    await hit(form('/oauth/revoke', { token: adminToken }, ['tessera-admin', ADMIN_SECRET]), 503);
    await hit(form('/oauth/introspect', { token: adminToken }, ['tessera-admin', ADMIN_SECRET]), 503);
    await hit(request(h.app).get('/oauth/revocations'), 503);
  });
});

test('the token endpoint answers 429 with RateLimit headers once a limit is reached, as documented', async () => {
  // A clock that stands still, so that `t` is exact whatever the machine's load.
  const clock = Date.now();
  const limited = await startHarness({ now: () => clock, env: { TESSERA_RATE_LIMIT_CLIENT: '1/60' } });
  try {
    const c = await limited.createClient({ client_id: 'oa-limited', scopes: [] });
    const ask = () => request(limited.app).post('/oauth/token').auth(c.client_id, c.client_secret).type('form').send('grant_type=client_credentials');
    const ok = await hit(ask(), 200);
    expect(ok.headers['ratelimit-policy']).toBe('"client";q=1;w=60');
    const refused = await hit(ask(), 429);
    expect(refused.headers.ratelimit).toBe('"client";r=0;t=60');
  } finally {
    await limited.stop();
  }
});

test('the revocation and introspection endpoints answer 429 once an address has too many failed client authentications, as documented', async () => {
  const limited = await startHarness({ env: { TESSERA_RATE_LIMIT_AUTH_FAILURES: '1/60' } });
  try {
    const c = await limited.createClient({ client_id: 'oa-guessed', scopes: [] });
    const ask = (path: string) => request(limited.app).post(path).auth(c.client_id, 'wrong').type('form').send('token=x');
    await hit(ask('/oauth/revoke'), 401);
    for (const path of ['/oauth/revoke', '/oauth/introspect']) {
      const refused = await hit(ask(path), 429);
      expect(refused.headers['ratelimit-policy']).toBe('"auth_failures";q=1;w=60');
    }
  } finally {
    await limited.stop();
  }
});

test('every documented operation and status outside /admin/, /v1/me, /oauth/leaked, /metrics, the login pages and the console was exercised', () => {
  // /v1/me and /oauth/leaked are driven in openapi-api-tokens.test.ts, /oauth/leaked/github in test/http/github-secret-scanning.test.ts,
  // /metrics in test/http/metrics.test.ts.
  const missing = unexercised((op) => !op.path.startsWith('/admin/') && !op.path.startsWith('/v1/me') && !op.path.startsWith('/oauth/leaked') && op.path !== '/metrics'
    && !op.path.startsWith('/oauth/authorize') && !op.path.startsWith('/oauth/assets') && !op.path.startsWith('/console'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
