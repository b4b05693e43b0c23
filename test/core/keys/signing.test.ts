import { calculateJwkThumbprint, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { SIGNING_ALGS } from '../../../src/core/keys/types.js';
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
