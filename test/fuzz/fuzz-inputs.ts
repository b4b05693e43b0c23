/**
 * What the fuzzer sends: fast-check arbitraries of HTTP requests to the
 * token, introspection, revocation, authorization and admin endpoints.
 * Each request mixes values that reach deep (the fixture's real client,
 * secrets, tokens and ids) with hostile ones (wrong types, broken
 * percent-encoding, odd charsets and content types, oversized and control
 * characters, forged JWT shapes), so that both the early refusals and the
 * code behind them are exercised.
 */
import fc from 'fast-check';

export type Endpoint = 'token' | 'introspect' | 'revoke' | 'authorize' | 'admin';
export const ENDPOINTS: readonly Endpoint[] = ['token', 'introspect', 'revoke', 'authorize', 'admin'];

export interface FuzzRequest {
  endpoint: Endpoint;
  method: string;
  /** Path and query, as sent on the request line. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Real values of the fixture the generators draw from. */
export interface FuzzPool {
  clientId: string;
  clientSecret: string;
  adminToken: string;
  userToken: string;
  apiToken: string;
  refreshLike: string;
  username: string;
  password: string;
  ids: string[];
  redirectUri: string;
  /** Operations of the admin API and /v1/me, from openapi.yaml: method and path template. */
  adminOperations: Array<{ method: string; path: string }>;
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

/** Header values Node's client will send: printable Latin-1, no CR/LF. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 200 });

const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '%', '%zz', '%C0%AF', '%E0%80', '%FF%FE', '\uD800', '../../etc/passwd', '{}', '[]', 'null', 'true',
    '-1', '0', '1e309', 'NaN', '__proto__', 'constructor', 'toString', '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:ldap://x}',
    'tsp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'Bearer', 'a'.repeat(5000), '\r\nX-Injected: 1', 'http://evil.example/cb'),
  fc.integer().map(String),
);

/** A JWT shape with arbitrary header and claims and a junk signature: alg none, kid traversal, huge numbers... */
const jwtLike = fc.tuple(
  fc.oneof(fc.json(), fc.record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'EdDSA', 'ES256', 'PS512', ''), kid: weirdText, typ: fc.constantFrom('JWT', 'at+jwt', 'dpop+jwt', 'x'), jwk: fc.json() }, { requiredKeys: [] }).map((o) => JSON.stringify(o))),
  fc.oneof(fc.json(), fc.record({ iss: weirdText, sub: weirdText, aud: fc.oneof(weirdText, fc.array(weirdText)), exp: fc.oneof(fc.integer(), fc.double(), weirdText), iat: fc.oneof(fc.integer(), weirdText), jti: weirdText, scope: weirdText, cnf: fc.json() }, { requiredKeys: [] }).map((o) => JSON.stringify(o))),
  fc.string({ maxLength: 90 }),
).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${b64url(s)}`);

function value(pool: FuzzPool): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: weirdText },
    { weight: 2, arbitrary: fc.constantFrom(pool.clientId, pool.clientSecret, pool.adminToken, pool.userToken, pool.apiToken, pool.refreshLike, pool.username, pool.password, pool.redirectUri, ...pool.ids) },
    { weight: 1, arbitrary: jwtLike },
    { weight: 1, arbitrary: fc.constantFrom('client_credentials', 'refresh_token', 'authorization_code', 'password', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:token-type:access_token', 'urn:tessera:params:oauth:token-type:api_token', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'access_token', 'refresh_token', 'api_token', 'code', 'token', 'S256', 'plain', 'tessera:admin', 'tessera:tokens', 'openid') },
  );
}

/** encodeURIComponent, or the raw text where it cannot (lone surrogates). */
function encoded(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Percent-encodes the way a form does, or not at all, or badly. */
const encoding = fc.constantFrom('form', 'raw', 'broken', 'utf16');
function encodePair(k: string, v: string, how: string): string {
  if (how === 'raw') return `${k}=${v}`;
  if (how === 'broken') return `${k}=${v.replace(/[^A-Za-z0-9]/g, () => '%')}`;
  if (how === 'utf16') return `${encoded(k)}=${Buffer.from(v, 'utf16le').toString('latin1').split('').map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')}`;
  return `${encoded(k)}=${encoded(v)}`;
}

function params(pool: FuzzPool, names: string[]): fc.Arbitrary<Array<[string, string]>> {
  const pair = fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: weirdText }), value(pool));
  return fc.array(pair, { maxLength: 12 });
}

function formBody(pairs: Array<[string, string]>, how: string): string {
  return pairs.map(([k, v]) => encodePair(k, v, how)).join('&');
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  { weight: 2, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constantFrom('application/x-www-form-urlencoded; charset=utf-16', 'application/x-www-form-urlencoded; charset=latin1', 'application/x-www-form-urlencoded;charset="utf-8"', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=ucs-2', '*/*', 'application/x-www-form-urlencoded, application/json', '') },
  { weight: 1, arbitrary: headerText },
);

function authorization(pool: FuzzPool): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.tuple(fc.oneof(fc.constant(pool.clientId), weirdText), fc.oneof(fc.constant(pool.clientSecret), weirdText))
      .map(([id, secret]) => `Basic ${Buffer.from(`${encoded(id)}:${encoded(secret)}`).toString('base64')}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Bearer', 'bearer', 'DPoP', 'Basic', 'Token', ''), fc.oneof(value(pool), jwtLike)).map(([s, t]) => `${s} ${t}`.replace(/[\r\n]/g, '')) },
    { weight: 1, arbitrary: headerText },
  );
}

/** Extra headers: DPoP proofs, forwarded addresses, content encodings, duplicate-looking names. */
const extraHeaders = fc.dictionary(
  fc.constantFrom('dpop', 'x-forwarded-for', 'content-encoding', 'accept', 'accept-language', 'x-request-id', 'origin', 'cookie', 'if-none-match', 'transfer-encoding-x', 'x-tessera-anything', 'user-agent', 'forwarded'),
  fc.oneof(headerText, jwtLike),
  { maxKeys: 4 },
);

const methodFor = (usual: string) => fc.oneof({ weight: 8, arbitrary: fc.constant(usual) }, { weight: 2, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND') });

function queryString(pool: FuzzPool, names: string[]): fc.Arbitrary<string> {
  return fc.tuple(params(pool, names), encoding).map(([pairs, how]) => (pairs.length ? `?${formBody(pairs, how)}` : ''));
}

function bodyOf(pool: FuzzPool, names: string[]): fc.Arbitrary<{ type: string; body: Buffer }> {
  return fc.tuple(contentType, params(pool, names), encoding, fc.oneof(fc.json(), fc.constantFrom('{', '{"a":', '[1,2', '\u0000', '{"__proto__":{"x":1}}')), fc.uint8Array({ maxLength: 200 }), fc.nat(9))
    .map(([type, pairs, how, json, bytes, pick]) => {
      if (pick === 0) return { type, body: Buffer.from(bytes) };
      if (pick === 1 || type.startsWith('application/json')) return { type, body: Buffer.from(pick === 1 ? json : JSON.stringify(Object.fromEntries(pairs))) };
      return { type, body: Buffer.from(formBody(pairs, how), 'latin1') };
    });
}

const TOKEN_PARAMS = ['grant_type', 'scope', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'subject_token', 'subject_token_type', 'requested_token_type',
  'actor_token', 'actor_token_type', 'assertion', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'resource', 'audience', 'username', 'password'];
const INTROSPECT_PARAMS = ['token', 'token_type_hint', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce', 'prompt', 'response_mode', 'request', 'request_uri'];
const LOGIN_PARAMS = ['username', 'password', 'request_id', 'csrf', 'csrf_token', 'state', 'consent', 'approve', 'deny', 'scope'];

function oauthRequest(pool: FuzzPool, endpoint: 'token' | 'introspect' | 'revoke', path: string, names: string[]): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: methodFor('POST'),
    query: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString(pool, names) }),
    body: bodyOf(pool, names),
    auth: authorization(pool),
    extra: extraHeaders,
  }).map(({ method, query, body, auth, extra }) => ({
    endpoint,
    method,
    path: path + query,
    headers: { ...extra, ...(body.type ? { 'content-type': body.type } : {}), ...(auth !== undefined ? { authorization: auth } : {}) },
    body: method === 'GET' || method === 'HEAD' ? undefined : body.body,
  }));
}

function authorizeRequest(pool: FuzzPool): fc.Arbitrary<FuzzRequest> {
  const get = fc.tuple(methodFor('GET'), queryString(pool, AUTHORIZE_PARAMS), extraHeaders)
    .map(([method, query, extra]): FuzzRequest => ({ endpoint: 'authorize', method, path: `/oauth/authorize${query}`, headers: extra }));
  const post = fc.tuple(fc.constantFrom('/oauth/authorize/login', '/oauth/authorize/consent'), methodFor('POST'), bodyOf(pool, LOGIN_PARAMS), queryString(pool, AUTHORIZE_PARAMS), extraHeaders)
    .map(([path, method, body, query, extra]): FuzzRequest => ({
      endpoint: 'authorize', method, path: path + query,
      headers: { ...extra, 'content-type': body.type },
      body: method === 'GET' || method === 'HEAD' ? undefined : body.body,
    }));
  return fc.oneof({ weight: 3, arbitrary: get }, { weight: 2, arbitrary: post });
}

/** An admin body: a JSON object with the fields the admin API reads, of any type. */
function adminBody(pool: FuzzPool): fc.Arbitrary<string> {
  const field = fc.constantFrom('client_id', 'name', 'scopes', 'grant_types', 'redirect_uris', 'username', 'password', 'roles', 'disabled', 'user', 'expires_in', 'expires_at',
    'allowed_ips', 'rate_limit', 'url', 'event_types', 'description', 'issuer', 'jwks', 'jwks_uri', 'audiences', 'conditions', 'subject', 'max_token_lifetime',
    'token_endpoint_auth_method', 'dpop_bound_access_tokens', 'reason', 'grace_period', 'public', 'type', 'scope', 'client_name');
  const anyValue = fc.oneof(value(pool), fc.json().map((j) => JSON.parse(j) as unknown), fc.array(value(pool), { maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
  return fc.oneof(
    { weight: 5, arbitrary: fc.dictionary(field, anyValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.constantFrom('{', '', 'null', '[]', '"x"', '{"scopes":' + '['.repeat(5000), JSON.stringify({ a: 'x'.repeat(70_000) })) },
  );
}

function adminRequest(pool: FuzzPool): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool.ids, pool.clientId, pool.username) }, { weight: 2, arbitrary: weirdText.map((s) => encoded(s).slice(0, 300) || 'x') },
    { weight: 1, arbitrary: fc.constantFrom('%ZZ', '%00', '..', '%2e%2e', '%2F', '%E0%A4%A', '%uD800') });
  return fc.record({
    op: fc.constantFrom(...pool.adminOperations),
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') }),
    segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
    query: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: queryString(pool, ['limit', 'cursor', 'order', 'type', 'since', 'until', 'actor', 'subject', 'token_id', 'status', 'user', 'client_id', 'reason', 'exclude_admin_logins', 'q']) }),
    body: adminBody(pool),
    type: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: contentType }),
    auth: fc.oneof({ weight: 7, arbitrary: fc.constant(`Bearer ${pool.adminToken}`) }, { weight: 1, arbitrary: fc.constant(`Bearer ${pool.userToken}`) }, { weight: 2, arbitrary: authorization(pool) }),
    extra: extraHeaders,
  }).map(({ op, method, segments, query, body, type, auth, extra }) => {
    let i = 0;
    const path = op.path.replace(/\{[^}]+\}/g, () => segments[i++ % segments.length]!);
    const m = method ?? op.method;
    return {
      endpoint: 'admin' as const,
      method: m,
      path: path + query,
      headers: { ...extra, 'content-type': type, ...(auth !== undefined ? { authorization: auth } : {}) },
      body: m === 'GET' || m === 'HEAD' ? undefined : Buffer.from(body),
    };
  });
}

export function fuzzRequest(pool: FuzzPool, only: readonly Endpoint[] = ENDPOINTS): fc.Arbitrary<FuzzRequest> {
  const all: Record<Endpoint, () => fc.Arbitrary<FuzzRequest>> = {
    token: () => oauthRequest(pool, 'token', '/oauth/token', TOKEN_PARAMS),
    introspect: () => oauthRequest(pool, 'introspect', '/oauth/introspect', INTROSPECT_PARAMS),
    revoke: () => oauthRequest(pool, 'revoke', '/oauth/revoke', INTROSPECT_PARAMS),
    authorize: () => authorizeRequest(pool),
    admin: () => adminRequest(pool),
  };
  return fc.oneof(...only.map((e) => all[e]()));
}
