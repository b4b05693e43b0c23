/**
 * openid-client (panva) against Tessera without shared secrets:
 * private_key_jwt client authentication at the token, introspection and
 * revocation endpoints, DPoP-bound tokens (client credentials, and a public
 * client's code and refresh with its refresh token bound), the server's
 * nonce flow (openid-client retries on use_dpop_nonce by itself), and
 * fetchProtectedResource against tessera/verifier.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as oidc from 'openid-client';
import { decodeJwt, startListeningHarness, type Harness } from '../support/harness.js';
import { loginThroughForm } from '../support/login-form.js';
import { clientKey, jwksOf, type ClientKey } from '../support/client-keys.js';
import { requireToken, type TokenMiddleware } from '../../src/verifier/index.js';

const REDIRECT = 'http://localhost:5173/cb';
const AUD = 'https://orders.test';

const discover = (h: Harness & { url: string }, clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(h.url), clientId, undefined, auth, { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });

/** A resource server guarded by tessera/verifier on loopback; GET /orders answers the token's sub and cnf. */
async function resourceServer(issuer: string, dpop: Parameters<typeof requireToken>[0]['dpop'] = {}) {
  const auth = requireToken({ issuer, audience: AUD, dpop });
  const app = express();
  app.get('/orders', auth, (req, res) => res.json({ sub: req.auth!.sub, cnf: req.auth!.claims.cnf ?? null }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`),
    async close(): Promise<void> {
      await (auth as TokenMiddleware).close();
      server.closeAllConnections();
      await new Promise((r) => (server as http.Server).close(r));
    },
  };
}

describe('openid-client with private_key_jwt and DPoP', () => {
  let h: Harness & { url: string };
  let key: ClientKey;
  beforeAll(async () => {
    h = await startListeningHarness();
    key = await clientKey('ES256', 'svc-key-1');
    await h.ctx.clients.create({ client_id: 'svc', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), scopes: ['orders:read'], audiences: [AUD] });
    await h.ctx.users.putRole('reader', ['orders:read']);
    await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
    await h.ctx.clients.create({
      client_id: 'spa', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'], audiences: [AUD],
    });
  });
  afterAll(async () => { await h.stop(); });

  test('metadata announces private_key_jwt, its algorithms and DPoP', async () => {
    const meta = (await discover(h, 'svc', oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }))).serverMetadata();
    expect(meta.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    expect(meta.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']));
  });

  test('client credentials, introspection and revocation, all with private_key_jwt', async () => {
    const config = await discover(h, 'svc', oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect(tokens.token_type).toBe('bearer');
    expect(decodeJwt(tokens.access_token).payload).toMatchObject({ sub: 'svc', client_id: 'svc', scope: 'orders:read' });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: 'svc' });
    await oidc.tokenRevocation(config, tokens.access_token);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  test('a key Tessera does not know is invalid_client', async () => {
    const other = await clientKey('ES256', 'svc-key-1');
    const config = await discover(h, 'svc', oidc.PrivateKeyJwt({ key: other.privateKey, kid: other.kid }));
    // A 401 with a challenge: openid-client raises it as such, with Tessera's Basic challenge and the RFC 6749 body.
    const err: unknown = await oidc.clientCredentialsGrant(config).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401 });
    expect(await (err as oidc.WWWAuthenticateChallengeError).response.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });

  test('an Ed25519 key (openid-client signs with alg "Ed25519") works too', async () => {
    const ed = await clientKey('EdDSA', 'ed-1');
    await h.ctx.clients.create({ client_id: 'ed-svc', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(ed), scopes: [] });
    const config = await discover(h, 'ed-svc', oidc.PrivateKeyJwt({ key: ed.privateKey, kid: ed.kid }));
    await expect(oidc.clientCredentialsGrant(config)).resolves.toMatchObject({ token_type: 'bearer' });
  });

  test('DPoP: a bound token, accepted by tessera/verifier through fetchProtectedResource, refused as a bearer token', async () => {
    const config = await discover(h, 'svc', oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }));
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).payload.cnf).toEqual({ jkt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const rs = await resourceServer(h.url);
    try {
      const ok = await oidc.fetchProtectedResource(config, tokens.access_token, rs.url, 'GET', undefined, undefined, { DPoP });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: 'svc', cnf: decodeJwt(tokens.access_token).payload.cnf });
      const refused: unknown = await oidc.fetchProtectedResource(config, tokens.access_token, rs.url, 'GET').catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401 });
      expect((refused as oidc.WWWAuthenticateChallengeError).cause[0]).toMatchObject({ scheme: 'dpop', parameters: { error: 'invalid_token' } });
    } finally {
      await rs.close();
    }
  });

  test('DPoP with a public client: code and refresh; the refresh token works only with the same key', async () => {
    const config = await discover(h, 'spa', oidc.None());
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'orders:read offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st',
    });
    const callback = await loginThroughForm(url.href, 'alice', 'alice-password');
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'st' }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.refresh_token).toMatch(/^tsr_/);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: otherKey })).rejects.toMatchObject({ error: 'invalid_grant' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).payload.cnf).toEqual(decodeJwt(tokens.access_token).payload.cnf);
  });
});

describe('openid-client and server nonces (RFC 9449 §8, §9)', () => {
  let h: Harness & { url: string };
  let key: ClientKey;
  beforeAll(async () => {
    h = await startListeningHarness({ env: { TESSERA_DPOP_REQUIRE_NONCE: 'true' } });
    key = await clientKey('PS256', 'nonce-key');
    await h.ctx.clients.create({ client_id: 'svc', token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), scopes: ['orders:read'], audiences: [AUD], dpop_bound_access_tokens: true });
  });
  afterAll(async () => { await h.stop(); });

  test('the token endpoint answers use_dpop_nonce; openid-client retries with the nonce (a new assertion too) and gets a bound token', async () => {
    const config = await discover(h, 'svc', oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }));
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('EdDSA'));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const failures = h.audit.events.filter((e) => e.type === 'client.authentication_failed');
    expect(failures).toEqual([]);
    // The first attempt was refused for want of a nonce, and the retry (with a fresh assertion) got through.
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/^tessera_errors_total\{route="\/oauth\/token",error="use_dpop_nonce"\} 1$/m);
    // The client must use DPoP: without it openid-client gets the refusal.
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });

    const rs = await resourceServer(h.url, { nonceSecret: 'the-resource-server-nonce-secret-0123456789' });
    try {
      const res = await oidc.fetchProtectedResource(config, tokens.access_token, rs.url, 'GET', undefined, undefined, { DPoP });
      expect(res.status).toBe(200);
      expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      await rs.close();
    }
  });
});
