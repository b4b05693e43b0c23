/**
 * The real server at trace level, fed planted secrets every way a caller can
 * send them (headers, forms, JSON bodies, query strings, paths, cookies,
 * malformed credentials): not one of them may appear in anything the process
 * writes, while every request still has its log line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { loginThroughForm } from '../support/login-form.js';
import { startServer, type RunningServer } from '../support/process.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const REDIRECT = 'http://localhost:5173/cb';

const planted = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const JSON_BODY = { 'Content-Type': 'application/json' };

let dir: string;
let server: RunningServer;
/** Every secret the test sent or received, by what it is. */
const secrets = new Map<string, string>();
/** The request ids the test set, by what the request did. */
const requestIds = new Map<string, string>();
let n = 0;

async function call(what: string, pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  const id = `redaction-${++n}`;
  requestIds.set(what, id);
  return fetch(`${server.url}${pathAndQuery}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), 'X-Request-Id': id } });
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  await ensureBuilt('dist/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-redaction-'));
  secrets.set('admin secret', planted('admin-secret'));
  server = await startServer({
    TESSERA_KEYS_DIR: path.join(dir, 'keys'),
    TESSERA_BOOTSTRAP_ADMIN_SECRET: secrets.get('admin secret')!,
    TESSERA_LOG_LEVEL: 'trace',
  });
}, 120_000);
afterAll(async () => {
  if (server) await server.stop();
  await rm(dir, { recursive: true, force: true });
});

test('no planted secret reaches stdout or stderr, and every request is logged', async () => {
  const adminSecret = secrets.get('admin secret')!;
  // The admin client's secret in Basic; its access token in Authorization from then on.
  const adminToken = (await json<{ access_token: string }>(await call('admin token', '/oauth/token', {
    method: 'POST', headers: { ...FORM, Authorization: basic('tessera-admin', adminSecret) }, body: 'grant_type=client_credentials&scope=tessera:admin',
  }), 200)).access_token;
  secrets.set('admin access token', adminToken);
  const admin = { ...JSON_BODY, Authorization: `Bearer ${adminToken}` };

  // A user's password in a JSON body, two confidential clients whose generated secrets come back.
  const password = planted('user-password');
  secrets.set('user password', password);
  await json(await call('put role', '/admin/v1/roles/reader', { method: 'PUT', headers: admin, body: JSON.stringify({ scopes: ['orders:read'] }) }), 201);
  await json(await call('create user', '/admin/v1/users', { method: 'POST', headers: admin, body: JSON.stringify({ username: 'alice', password, roles: ['reader'] }) }), 201);
  const web = await json<{ client_secret: string }>(await call('create web client', '/admin/v1/clients', {
    method: 'POST', headers: admin,
    body: JSON.stringify({ client_id: 'web-app', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] }),
  }), 201);
  secrets.set('web client secret', web.client_secret);
  const svc = await json<{ client_secret: string }>(await call('create service client', '/admin/v1/clients', {
    method: 'POST', headers: admin, body: JSON.stringify({ client_id: 'svc', grant_types: ['client_credentials', EXCHANGE], scopes: ['orders:read'] }),
  }), 201);
  secrets.set('service client secret', svc.client_secret);
  const apiToken = (await json<{ token: string }>(await call('create API token', '/admin/v1/api-tokens', {
    method: 'POST', headers: admin, body: JSON.stringify({ user: 'alice', name: 'ci', scopes: ['orders:read'] }),
  }), 201)).token;
  secrets.set('API token', apiToken);

  // The password through the login form; the authorization code and PKCE verifier at the token endpoint.
  const verifier = randomBytes(32).toString('base64url');
  secrets.set('PKCE verifier', verifier);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = `${server.url}/oauth/authorize?${new URLSearchParams({
    response_type: 'code', client_id: 'web-app', redirect_uri: REDIRECT, scope: 'orders:read offline_access', state: 'st', code_challenge: challenge, code_challenge_method: 'S256',
  })}`;
  const callback = await loginThroughForm(authorize, 'alice', password);
  const code = callback.searchParams.get('code')!;
  expect(code).toEqual(expect.any(String));
  secrets.set('authorization code', code);
  const issued = await json<{ access_token: string; refresh_token: string }>(await call('code exchange', '/oauth/token', {
    method: 'POST', headers: { ...FORM, Authorization: basic('web-app', web.client_secret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }).toString(),
  }), 200);
  secrets.set('user access token', issued.access_token);
  secrets.set('refresh token', issued.refresh_token);

  // The refresh token and client secret in a client_secret_post body.
  const refreshed = await json<{ access_token: string; refresh_token: string }>(await call('refresh', '/oauth/token', {
    method: 'POST', headers: FORM,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: issued.refresh_token, client_id: 'web-app', client_secret: web.client_secret }).toString(),
  }), 200);
  secrets.set('refreshed access token', refreshed.access_token);
  secrets.set('rotated refresh token', refreshed.refresh_token);

  // Introspection and exchange bodies carrying the tokens.
  const svcBasic = { ...FORM, Authorization: basic('svc', svc.client_secret) };
  await json(await call('introspect refresh token', '/oauth/introspect', {
    method: 'POST', headers: FORM, body: new URLSearchParams({ token: refreshed.refresh_token, client_id: 'svc', client_secret: svc.client_secret }).toString(),
  }), 200);
  await json(await call('introspect API token', '/oauth/introspect', { method: 'POST', headers: svcBasic, body: new URLSearchParams({ token: apiToken }).toString() }), 200);
  await json(await call('introspect access token', '/oauth/introspect', { method: 'POST', headers: svcBasic, body: new URLSearchParams({ token: refreshed.access_token }).toString() }), 200);
  const exchanged = await json<{ access_token: string }>(await call('exchange API token', '/oauth/token', {
    method: 'POST', headers: svcBasic, body: new URLSearchParams({ grant_type: EXCHANGE, subject_token: apiToken, subject_token_type: API_TOKEN_TYPE }).toString(),
  }), 200);
  secrets.set('exchanged access token', exchanged.access_token);

  // Tokens in query strings, a path, a cookie; malformed and swapped credentials.
  const cookieSecret = planted('cookie-secret');
  secrets.set('cookie value', cookieSecret);
  const pathSecret = planted('path-secret');
  secrets.set('secret in a path', pathSecret);
  const basicSecret = planted('malformed-basic-secret');
  secrets.set('secret in a malformed Basic header', basicSecret);
  expect((await call('admin with a query token', `/admin/v1/clients?access_token=${adminToken}`)).status).toBe(401);
  expect((await call('admin with a bearer token', '/admin/v1/clients', { headers: { Authorization: `Bearer ${adminToken}` } })).status).toBe(200);
  expect((await call('tokens in a query', `/.well-known/jwks.json?token=${apiToken}&refresh_token=${refreshed.refresh_token}&access_token=${exchanged.access_token}`)).status).toBe(200);
  expect((await call('token in an unknown path', `/nope/${apiToken}/${pathSecret}?code=${code}`, { headers: { Cookie: `tessera_authz=${cookieSecret}; other=${refreshed.refresh_token}` } })).status).toBe(404);
  expect((await call('malformed Basic', '/oauth/token', { method: 'POST', headers: { ...FORM, Authorization: `Basic ${basicSecret}:!!` }, body: 'grant_type=client_credentials' })).status).toBe(401);
  expect((await call('secret as client id', '/oauth/token', { method: 'POST', headers: { ...FORM, Authorization: basic(svc.client_secret, 'svc') }, body: 'grant_type=client_credentials' })).status).toBe(401);
  expect((await call('wrong password', `/oauth/token`, {
    method: 'POST', headers: FORM, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'svc', client_secret: password }).toString(),
  })).status).toBe(401);
  expect((await call('revoke API token', `/oauth/revoke?token=${refreshed.refresh_token}`, { method: 'POST', headers: svcBasic, body: new URLSearchParams({ token: apiToken }).toString() })).status).toBe(200);
  expect((await call('revoke refresh token', '/oauth/revoke', {
    method: 'POST', headers: { ...FORM, Authorization: basic('web-app', web.client_secret) }, body: new URLSearchParams({ token: refreshed.refresh_token }).toString(),
  })).status).toBe(200);

  expect(await server.stop()).toBe(0);
  const stdout = server.stdout();
  const output = stdout + server.stderr();

  // The log is there: every request the test made has its line, and the login form's requests too.
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const requestLines = lines.filter((l) => l.msg === 'request');
  for (const [what, id] of requestIds) {
    expect({ what, lines: requestLines.filter((l) => l.request_id === id).length }).toEqual({ what, lines: 1 });
  }
  const routes = new Set(requestLines.map((l) => l.route));
  expect(routes).toContain('GET /oauth/authorize');
  expect(routes).toContain('POST /oauth/authorize/login');

  // And not one secret is in it, whole or by its signature.
  for (const [what, secret] of secrets) {
    expect({ what, found: output.includes(secret) }).toEqual({ what, found: false });
    if (secret.startsWith('eyJ')) {
      const signature = secret.split('.')[2]!;
      expect({ what: `${what} signature`, found: output.includes(signature) }).toEqual({ what: `${what} signature`, found: false });
    }
  }
}, 60_000);
