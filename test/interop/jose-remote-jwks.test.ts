/**
 * A resource server using jose's createRemoteJWKSet + jwtVerify against a
 * listening Tessera, for every signing algorithm, through key rotations.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { SIGNING_ALGS } from '../../src/core/keys/types.js';
import { startListeningHarness, decodeJwt, type Harness } from '../support/harness.js';

const API = 'https://api.example.com';

describe.each(SIGNING_ALGS)('jose createRemoteJWKSet with TESSERA_SIGNING_ALG=%s', (alg) => {
  let h: Harness & { url: string };
  let svc: { client_id: string; client_secret: string };
  let jwksUri: URL;
  beforeAll(async () => {
    h = await startListeningHarness({ env: { TESSERA_SIGNING_ALG: alg } });
    svc = await h.createClient({ scopes: ['orders:read'], audiences: [API] });
    const metadata = (await (await fetch(`${h.url}/.well-known/oauth-authorization-server`)).json()) as { jwks_uri: string };
    jwksUri = new URL(metadata.jwks_uri);
  });
  afterAll(async () => { await h.stop(); });

  const token = () => h.clientToken(svc.client_id, svc.client_secret, { resource: API });
  const kid = (jwt: string) => decodeJwt(jwt).header.kid as string;
  const verify = (jwt: string, jwks: ReturnType<typeof createRemoteJWKSet>, audience = API) =>
    jwtVerify(jwt, jwks, { typ: 'at+jwt', issuer: h.url, audience, algorithms: [alg] });

  /** A remote key set that counts its fetches of the JWKS. */
  function countingJwks() {
    let fetches = 0;
    const jwks = createRemoteJWKSet(jwksUri, {
      // jose refetches on an unknown kid at most once per cooldown (30 s by default); these tests rotate twice within a second.
      cooldownDuration: 0,
      [customFetch]: (url: string, init: RequestInit) => { fetches += 1; return fetch(url, init); },
    });
    return { jwks, fetches: () => fetches };
  }

  async function rotate(): Promise<{ active: string; next: string; retired: string | null }> {
    const res = await fetch(`${h.url}/admin/v1/keys/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${await h.adminToken()}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { active: string; next: string; retired: string | null };
  }

  test('verifies an access token with typ at+jwt, the issuer and the audience; another audience or issuer is refused', async () => {
    const { jwks } = countingJwks();
    const jwt = await token();
    const { payload, protectedHeader } = await verify(jwt, jwks);
    expect(protectedHeader).toEqual({ alg, kid: kid(jwt), typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: h.url, aud: API, sub: svc.client_id, client_id: svc.client_id, scope: 'orders:read' });
    await expect(verify(jwt, jwks, 'https://other.example.com')).rejects.toThrow(errors.JWTClaimValidationFailed);
    await expect(jwtVerify(jwt, jwks, { typ: 'at+jwt', issuer: 'https://not-tessera.example.com', audience: API })).rejects.toThrow('unexpected "iss" claim value');
    await expect(jwtVerify(jwt, jwks, { typ: 'JWT', issuer: h.url, audience: API })).rejects.toThrow('unexpected "typ" JWT header value');
  });

  test('across rotations: the next key is known before it signs, an unknown kid is refetched, retired keys still verify while published', async () => {
    const { jwks, fetches } = countingJwks();
    const first = await token();
    await verify(first, jwks);
    expect(fetches()).toBe(1);

    // One rotation: the new signing key was published as `next`, so the cached set already has it.
    const r1 = await rotate();
    expect(r1.retired).toBe(kid(first));
    const second = await token();
    expect(kid(second)).toBe(r1.active);
    await expect(verify(second, jwks)).resolves.toBeDefined();
    expect(fetches()).toBe(1);

    // A second rotation: this signing key was created after the set was fetched, so jose meets an unknown kid and refetches.
    const r2 = await rotate();
    expect(r2.retired).toBe(r1.active);
    const third = await token();
    expect(kid(third)).toBe(r2.active);
    expect((jwks.jwks()?.keys ?? []).map((k) => k.kid)).not.toContain(r2.active);
    await expect(verify(third, jwks)).resolves.toBeDefined();
    expect(fetches()).toBe(2);

    // Tokens signed by the retired keys still verify: their keys stay in the JWKS while such tokens can be live.
    await expect(verify(first, jwks)).resolves.toBeDefined();
    await expect(verify(second, jwks)).resolves.toBeDefined();
    expect(fetches()).toBe(2);
    expect(new Set(jwks.jwks()!.keys.map((k) => k.kid))).toEqual(new Set([kid(first), r1.active, r2.active, r2.next]));
  });
});
