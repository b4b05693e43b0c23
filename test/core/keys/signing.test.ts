import { calculateJwkThumbprint, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { SIGNING_ALGS } from '../../../src/core/keys/types.js';
import { AccessTokenIssuer } from '../../../src/core/tokens/access-token.js';
import { jwksKids, openManager, signToken, tempDirs, verifyWithJwks } from './helpers.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('KeyManager signing', () => {
  it.each(SIGNING_ALGS)('signs %s tokens that verify against its own JWKS', async (alg) => {
    const keys = await openManager(await dirs.make(), { alg });
    const token = await signToken(keys);
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg, kid: keys.signingKey().kid, typ: 'at+jwt' });
    const { payload } = await verifyWithJwks(keys, token);
    expect(payload.sub).toBe('alice');
    keys.close();
  });

  it.each(SIGNING_ALGS)('publishes only public %s key members, with kid, alg and use', async (alg) => {
    const keys = await openManager(await dirs.make(), { alg });
    const set = JSON.parse(keys.jwks().body) as JSONWebKeySet;
    expect(set.keys).toHaveLength(2); // the active key and the next one
    for (const jwk of set.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(jwk).not.toHaveProperty(member);
      expect(jwk).toMatchObject({ alg, use: 'sig' });
      expect(jwk.kty).toBe(alg === 'EdDSA' ? 'OKP' : alg === 'ES256' ? 'EC' : 'RSA');
    }
    keys.close();
  });

  it('uses the RFC 7638 thumbprint of the public key as kid', async () => {
    const keys = await openManager(await dirs.make());
    const set = JSON.parse(keys.jwks().body) as JSONWebKeySet;
    for (const jwk of set.keys) expect(jwk.kid).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    keys.close();
  });

  it('creates an active key and a published next key in an empty dir', async () => {
    const keys = await openManager(await dirs.make());
    const list = keys.list();
    expect(list.map((k) => k.state).sort()).toEqual(['active', 'next']);
    expect(list.every((k) => k.published)).toBe(true);
    const active = list.find((k) => k.state === 'active')!;
    expect(keys.signingKey().kid).toBe(active.kid);
    expect(jwksKids(keys).sort()).toEqual(list.map((k) => k.kid).sort());
    keys.close();
  });

  it('serves the same JWKS object and a strong ETag of its body until keys change', async () => {
    const keys = await openManager(await dirs.make());
    const a = keys.jwks();
    expect(keys.jwks()).toBe(a);
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    keys.close();
  });

  it('finds verification keys by kid only for published keys', async () => {
    const keys = await openManager(await dirs.make());
    const kid = keys.signingKey().kid;
    expect(keys.verificationKey(kid)?.publicKey.type).toBe('public');
    expect(keys.verificationKey('no-such-kid')).toBeUndefined();
    keys.close();
  });

  it('gives two instances on one dir the same JWKS body and ETag', async () => {
    const dir = await dirs.make();
    const a = await openManager(dir);
    const b = await openManager(dir);
    expect(b.jwks()).toEqual(a.jwks());
    a.close();
    b.close();
  });
});

describe('access tokens signed with node:crypto', () => {
  const SIGNATURE_BYTES: Record<string, number> = { EdDSA: 64, ES256: 64, RS256: 256, PS256: 256 };

  it.each(SIGNING_ALGS)('%s: jose jwtVerify accepts the token; its header and claims are exactly what the issuer says it signed', async (alg) => {
    const keys = await openManager(await dirs.make(), { alg });
    const issuer = new AccessTokenIssuer(keys, 'https://issuer.test', 600);
    const issued = await issuer.issue({ subject: 'alice', clientId: 'billing', scopes: ['orders:read', 'orders:write'], audience: ['https://api.test'], jkt: null });
    const { payload, protectedHeader } = await verifyWithJwks(keys, issued.token);
    expect(protectedHeader).toEqual({ alg, kid: keys.signingKey().kid, typ: 'at+jwt' });
    expect(payload).toEqual(issued.claims);
    expect(payload).toEqual({
      client_id: 'billing', scope: 'orders:read orders:write', iss: 'https://issuer.test', sub: 'alice', aud: 'https://api.test',
      iat: expect.any(Number), exp: issued.expiresAt, jti: issued.jti,
    });
    expect(issued).toMatchObject({ subject: 'alice', scope: 'orders:read orders:write', kid: keys.signingKey().kid, tokenType: 'Bearer', expiresIn: 600 });
    // RFC 7518 §3.4: an ES256 signature is R || S (64 bytes), not DER.
    expect(Buffer.from(issued.token.split('.')[2]!, 'base64url')).toHaveLength(SIGNATURE_BYTES[alg]!);
    keys.close();
  });

  it.each(SIGNING_ALGS)('%s: two audiences, extra claims and a DPoP binding verify too; extra claims never override the registered ones', async (alg) => {
    const keys = await openManager(await dirs.make(), { alg });
    const issuer = new AccessTokenIssuer(keys, 'https://issuer.test', 600);
    const issued = await issuer.issue({
      subject: 'alice', clientId: 'billing', scopes: [], audience: ['https://api.test', 'https://other.test'], authTime: 1_700_000_000,
      extra: { api_token_id: 'tok-1', sub: 'mallory', iss: 'https://evil.test', act: { sub: 'svc' } }, jkt: 'thumb-print', ttl: 60,
    });
    const { payload, protectedHeader } = await verifyWithJwks(keys, issued.token);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toEqual(issued.claims);
    expect(payload).toMatchObject({ sub: 'alice', iss: 'https://issuer.test', aud: ['https://api.test', 'https://other.test'], api_token_id: 'tok-1', act: { sub: 'svc' }, auth_time: 1_700_000_000, cnf: { jkt: 'thumb-print' } });
    expect(payload).not.toHaveProperty('scope');
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(issued).toMatchObject({ scope: null, tokenType: 'DPoP', expiresIn: 60 });
    keys.close();
  });

  it('signs with the new key once the keys rotate', async () => {
    const keys = await openManager(await dirs.make());
    const issuer = new AccessTokenIssuer(keys, 'https://issuer.test', 600);
    const before = await issuer.issue({ subject: 'alice', clientId: 'c', scopes: [], audience: ['https://api.test'] });
    const rotated = await keys.rotate();
    const after = await issuer.issue({ subject: 'alice', clientId: 'c', scopes: [], audience: ['https://api.test'] });
    expect(before.kid).not.toBe(rotated.active);
    expect(after.kid).toBe(rotated.active);
    expect((await verifyWithJwks(keys, after.token)).protectedHeader.kid).toBe(rotated.active);
    expect((await verifyWithJwks(keys, before.token)).protectedHeader.kid).toBe(before.kid);
    keys.close();
  });
});
