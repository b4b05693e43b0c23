/**
 * The validator remembers tokens whose signature it verified, and checks
 * again on every use what can change: time, revocation, the client, and
 * whether the verifying key is still one the server holds.
 */
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { VerifiedSignatures } from '../../src/core/tokens/verified-signatures.js';
import { startHarness, type Harness } from '../support/harness.js';
import { sleep } from '../store/store-contract.js';

describe('VerifiedSignatures', () => {
  const a = generateKeyPairSync('ed25519').publicKey;
  const b = generateKeyPairSync('ed25519').publicKey;

  test('an entry counts only while the key that verified it is the one held under its kid', () => {
    const cache = new VerifiedSignatures(10);
    cache.set('h1', { jti: 'j1' }, 'k1', a);
    expect(cache.get('h1', (kid) => (kid === 'k1' ? a : undefined))).toEqual({ jti: 'j1' });
    // Another key under the same kid, or none: forgotten.
    expect(cache.get('h1', () => b)).toBeUndefined();
    expect(cache.get('h1', () => a)).toBeUndefined();
    cache.set('h2', { jti: 'j2' }, 'k1', a);
    expect(cache.get('h2', () => undefined)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('bounded: past its size the oldest entry goes first', () => {
    const cache = new VerifiedSignatures(2);
    const held = () => a;
    cache.set('h1', { jti: 'j1' }, 'k', a);
    cache.set('h2', { jti: 'j2' }, 'k', a);
    cache.set('h3', { jti: 'j3' }, 'k', a);
    expect(cache.size).toBe(2);
    expect(cache.get('h1', held)).toBeUndefined();
    expect(cache.get('h2', held)).toEqual({ jti: 'j2' });
    expect(cache.get('h3', held)).toEqual({ jti: 'j3' });
  });
});

describe('introspection of a token seen before', () => {
  let h: Harness;
  let rs: { client_id: string; client_secret: string };
  let svc: { client_id: string; client_secret: string };
  beforeAll(async () => {
    h = await startHarness();
    rs = await h.createClient({ client_id: 'resource-server', scopes: [] });
    svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read'] });
  });
  afterAll(() => h.stop());

  const introspect = (on: Harness, token: string) =>
    request(on.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({ token });

  test('answers the same; a changed signature and a revocation are seen', async () => {
    const token = await h.clientToken(svc.client_id, svc.client_secret);
    const first = await introspect(h, token);
    expect(first.body.active).toBe(true);
    expect((await introspect(h, token)).body).toEqual(first.body);
    // The same token with another signature is not the token that was verified.
    const [head, payload, sig] = token.split('.');
    const forged = `${head}.${payload}.${sig![0] === 'A' ? 'B' : 'A'}${sig!.slice(1)}`;
    expect((await introspect(h, forged)).body).toEqual({ active: false });
    await request(h.app).post('/oauth/revoke').auth(svc.client_id, svc.client_secret).type('form').send({ token }).expect(200);
    expect((await introspect(h, token)).body).toEqual({ active: false });
  });

  test('the token\'s expiry is seen', async () => {
    // Every access token of this server lives 2 s. Its clients are made
    // through the core, not the admin API: an admin token would live as
    // little as 1 s too (iat counts whole seconds), and a slow machine
    // can take that long between issuing and using it.
    const short = await startHarness({ env: { TESSERA_ACCESS_TOKEN_TTL: '2', TESSERA_CLOCK_SKEW: '0' } });
    try {
      await short.ctx.clients.create({ client_id: rs.client_id, client_secret: rs.client_secret, scopes: [] });
      await short.ctx.clients.create({ client_id: svc.client_id, client_secret: svc.client_secret, scopes: ['orders:read'] });
      // Issued at the start of a second, the token has its whole 2 s to be seen active twice.
      await sleep(1000 - (Date.now() % 1000));
      const token = await short.clientToken(svc.client_id, svc.client_secret);
      const first = await introspect(short, token);
      expect(first.body.active).toBe(true);
      expect((await introspect(short, token)).body).toEqual(first.body);
      const exp = first.body.exp as number;
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
      expect((await introspect(short, token)).body).toEqual({ active: false });
      await expect(short.ctx.validator.validate(token)).rejects.toThrow('token has expired');
    } finally {
      await short.stop();
    }
  });

  test('a deleted client\'s tokens end with it', async () => {
    const gone = await h.createClient({ scopes: [] });
    const token = await h.clientToken(gone.client_id, gone.client_secret);
    expect((await introspect(h, token)).body.active).toBe(true);
    await request(h.app).delete(`/admin/v1/clients/${gone.client_id}`).set('Authorization', `Bearer ${await h.adminToken()}`).expect(204);
    expect((await introspect(h, token)).body).toEqual({ active: false });
  });
});
