// Seeds a running Tessera through its public API, as an operator and a user
// would: an admin token, a role, a user, the bench client, an API token, and
// refresh tokens from the authorization-code flow (login form, PKCE, code
// exchange), so the rotation scenario starts from real families.
import { createHash, randomBytes } from 'node:crypto';

export const AUDIENCE = 'https://api.bench.example';
export const SCOPE = 'orders:read';
export const CLIENT_ID = 'bench-client';
export const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const USERNAME = 'bench-user';
const PASSWORD = 'bench-user-password-0123';

export const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
export const FORM = 'application/x-www-form-urlencoded';

async function call(url, init, expected) {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return { res, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null, text };
}

export async function tokenRequest(base, auth, params) {
  const { json } = await call(`${base}/oauth/token`, {
    method: 'POST', headers: { Authorization: auth, 'Content-Type': FORM }, body: new URLSearchParams(params).toString(),
  }, [200]);
  return json;
}

/** A client_credentials access token for the bench client, with the bench audience (for the verifier scenario). */
export async function accessToken(base, seed) {
  return (await tokenRequest(base, seed.auth, { grant_type: 'client_credentials', scope: SCOPE, resource: AUDIENCE })).access_token;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function field(html, name) {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
}

/** One family: the login form, the code, and its exchange; returns the refresh token. */
export async function refreshTokenByLogin(base, seed) {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: 's',
    code_challenge: challenge, code_challenge_method: 'S256', scope: `${SCOPE} offline_access`,
  });
  const page = await call(`${base}/oauth/authorize?${q}`, {}, [200]);
  const cookie = page.res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const login = await call(`${base}/oauth/authorize/login`, {
    method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'Content-Type': FORM },
    body: new URLSearchParams({ request_id: field(page.text, 'request_id'), csrf: field(page.text, 'csrf'), username: USERNAME, password: PASSWORD }).toString(),
  }, [303]);
  const code = new URL(login.res.headers.get('location')).searchParams.get('code');
  if (!code) throw new Error(`no code in ${login.res.headers.get('location')}`);
  const answer = await tokenRequest(base, seed.auth, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
  if (!answer.refresh_token) throw new Error('the code exchange gave no refresh token');
  return answer.refresh_token;
}

/**
 * `n` refresh tokens, a few logins at a time: fewer than the logins one user
 * may have counted at once (5, src/core/users/login.ts counts each attempt
 * before it checks), or the extra ones are refused as a pause.
 */
export async function refreshTokens(base, seed, n, parallel = 4) {
  const out = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, async () => {
    while (next < n) { next++; out.push(await refreshTokenByLogin(base, seed)); }
  }));
  return out;
}

export async function seedTessera(base, adminSecret) {
  const admin = (await tokenRequest(base, basic('tessera-admin', adminSecret), { grant_type: 'client_credentials', scope: 'tessera:admin' })).access_token;
  const json = (method, path, body, expected) => call(`${base}/admin/v1${path}`, {
    method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  }, expected);
  await json('PUT', '/roles/bench-reader', { scopes: [SCOPE] }, [200, 201]);
  const user = (await json('POST', '/users', { username: USERNAME, password: PASSWORD, roles: ['bench-reader'] }, [201])).json;
  const client = (await json('POST', '/clients', {
    client_id: CLIENT_ID, name: 'Benchmark client',
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    scopes: [SCOPE, 'offline_access'], audiences: [AUDIENCE], redirect_uris: [REDIRECT_URI],
  }, [201])).json;
  // No secret in the request: the server generates a 256-bit one (hashed with SHA-256), as in production.
  const secret = client.client_secret;
  const apiToken = (await json('POST', '/api-tokens', { user: USERNAME, name: 'bench', scopes: [SCOPE], expires_in: 86_400 }, [201])).json;
  return { admin, userId: user.id, clientId: CLIENT_ID, secret, auth: basic(CLIENT_ID, secret), apiToken: apiToken.token };
}
