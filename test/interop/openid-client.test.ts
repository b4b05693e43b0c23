/**
 * A standard client library against Tessera: openid-client discovers the
 * RFC 8414 metadata, runs authorization code + PKCE (the login form walked
 * as a browser would), refreshes, and uses client_credentials,
 * introspection and revocation.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { loginThroughForm } from '../support/login-form.js';

let h: Harness & { url: string };
const REDIRECT = 'http://localhost:5173/cb';

beforeAll(async () => {
  h = await startListeningHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
  await h.ctx.clients.create({
    client_id: 'web-app', public: true, redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'],
  });
});
afterAll(async () => { await h.stop(); });

const discover = (clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(h.url), clientId, undefined, auth, { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });

/** Authorization code with PKCE for alice, the login form walked as a browser would. */
async function signIn(config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'orders:read offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const callback = await loginThroughForm(url.href, 'alice', 'alice-password');
  expect(callback.origin + callback.pathname).toBe(REDIRECT);

  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
}

test('discovery reads the RFC 8414 metadata', async () => {
  const metadata = (await discover('web-app', oidc.None())).serverMetadata();
  expect(metadata).toMatchObject({
    issuer: h.url,
    token_endpoint: `${h.url}/oauth/token`,
    jwks_uri: `${h.url}/.well-known/jwks.json`,
    revocation_endpoint: `${h.url}/oauth/revoke`,
    introspection_endpoint: `${h.url}/oauth/introspect`,
    code_challenge_methods_supported: ['S256'],
  });
});

test('authorization code with PKCE, then refresh, for a public client', async () => {
  const config = await discover('web-app', oidc.None());
  const tokens = await signIn(config);
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.scope).toBe('orders:read offline_access');
  expect(tokens.refresh_token).toMatch(/^tsr_/);
  const jwks = createRemoteJWKSet(new URL(`${h.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: h.url, typ: 'at+jwt' });
  expect(payload.client_id).toBe('web-app');

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.refresh_token).toMatch(/^tsr_/);
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  await expect(jwtVerify(refreshed.access_token, jwks, { issuer: h.url, typ: 'at+jwt' })).resolves.toBeDefined();
});

test('client credentials, introspection and revocation for a confidential client', async () => {
  const svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read'] });
  const config = await discover('svc', oidc.ClientSecretBasic(svc.client_secret));
  const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
  expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: 'svc', scope: 'orders:read', token_type: 'Bearer', iss: h.url });
  await oidc.tokenRevocation(config, tokens.access_token);
  expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
});

test('revoking a refresh token through openid-client ends it: the next refresh is invalid_grant', async () => {
  const config = await discover('web-app', oidc.None());
  const tokens = await signIn(config);
  await oidc.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant' });
});
