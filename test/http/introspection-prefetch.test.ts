/**
 * Introspection starts a JWT's store reads (the revocation list, its
 * client) before the caller is authenticated, so that they travel with the
 * caller's authentication. What they find must reach an authenticated caller
 * only (RFC 7662 §2.1, §4): a caller who fails to authenticate gets the same
 * 401 whatever the token and whatever those reads found, failed reads
 * included, and no use of the token is counted. And a revocation made before
 * the request, or while a slow proof (scrypt) is running, is honoured. On
 * memory and on Redis.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { startHarness, decodeJwt, type Harness } from '../support/harness.js';
import { StoreUnavailableError } from '../../src/core/errors.js';

const CHOSEN_SECRET = 'a secret somebody typed in for introspection';

describe.each([['memory', false], ['Redis', true]] as const)('introspection reads started early on the %s store', (_name, redis) => {
  let h: Harness;
  let api: { client_id: string; client_secret: string };
  let rs: { client_id: string; client_secret: string };
  let slow: { client_id: string; client_secret: string };

  beforeAll(async () => {
    h = await startHarness({ redis });
    api = await h.createClient({ client_id: `prefetch-api-${redis}`, scopes: ['orders:read'], audiences: ['https://api.example.com'] });
    rs = await h.createClient({ client_id: `prefetch-rs-${redis}`, scopes: [] });
    slow = await h.createClient({ client_id: `prefetch-slow-${redis}`, client_secret: CHOSEN_SECRET, scopes: [] });
  });
  afterAll(async () => { await h.stop(); });
  afterEach(() => { jest.restoreAllMocks(); });

  const introspect = (token: string, auth: { client_id: string; client_secret: string } = rs) =>
    request(h.app).post('/oauth/introspect').auth(auth.client_id, auth.client_secret).type('form').send({ token });

  /** A live token whose signature the server has verified once (so its reads start before authentication). */
  async function verifiedToken(): Promise<string> {
    const token = await h.clientToken(api.client_id, api.client_secret);
    expect((await introspect(token)).body.active).toBe(true);
    return token;
  }

  test('the reads do start before the caller is authenticated', async () => {
    const token = await verifiedToken();
    const status = jest.spyOn(h.ctx.store.revocations, 'status');
    const res = await introspect(token, { ...rs, client_secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    // Read for the token although the caller was refused: the read was started early, and dropped.
    expect(status).toHaveBeenCalledTimes(1);
    expect(status.mock.calls[0]![0]).toBe(decodeJwt(token).payload.jti);
  });

  test.each([
    ['a wrong secret', () => ({ ...rs, client_secret: 'not-the-secret' })],
    ['an unknown client', () => ({ client_id: `nobody-${redis}`, client_secret: 'whatever' })],
    ['a wrong chosen secret', () => ({ ...slow, client_secret: 'wrong' })],
  ] as const)('%s gets the same 401 for a live token as for garbage, and no use is counted', async (_what, who) => {
    const token = await verifiedToken();
    const uses = jest.spyOn(h.ctx.store.usage, 'record');
    const live = await introspect(token, who());
    const garbage = await introspect('not-a-token', who());
    expect(live.status).toBe(401);
    expect(live.body).toEqual(garbage.body);
    expect(live.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(live.headers['www-authenticate']).toBe(garbage.headers['www-authenticate']);
    expect(uses).not.toHaveBeenCalled();
    // The token is untouched by the refused request.
    expect((await introspect(token)).body.active).toBe(true);
  });

  test('reads that fail are not the refused caller\'s answer: 401, not 503', async () => {
    const token = await verifiedToken();
    const status = jest.spyOn(h.ctx.store.revocations, 'status').mockRejectedValue(new StoreUnavailableError('the store is temporarily unavailable'));
    const refused = await introspect(token, { ...rs, client_secret: 'not-the-secret' });
    expect(status).toHaveBeenCalled();
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    // The authenticated caller gets the failure, as without reads started early.
    const failed = await introspect(token);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toBe('temporarily_unavailable');
  });

  test('a token revoked after it was verified is inactive at the next introspection, and for every caller', async () => {
    const token = await verifiedToken();
    const revoked = await request(h.app).post('/oauth/revoke').auth(api.client_id, api.client_secret).type('form').send({ token });
    expect(revoked.status).toBe(200);
    expect((await introspect(token)).body).toEqual({ active: false });
    expect((await introspect(token, slow)).body).toEqual({ active: false });
    // Many at once: each request reads the list for itself.
    const answers = await Promise.all(Array.from({ length: 10 }, () => introspect(token)));
    expect(answers.map((a) => a.body)).toEqual(Array(10).fill({ active: false }));
  });

  test('a token whose client is deleted after it was verified is inactive', async () => {
    const owner = await h.createClient({ scopes: ['orders:read'] });
    const token = await h.clientToken(owner.client_id, owner.client_secret);
    expect((await introspect(token)).body.active).toBe(true);
    await h.ctx.clients.delete(owner.client_id);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  test('a revocation made while a slow proof (scrypt) runs is honoured: the token is read again after it', async () => {
    const token = await verifiedToken();
    const { jti, exp } = decodeJwt(token).payload as { jti: string; exp: number };
    const status = jest.spyOn(h.ctx.store.revocations, 'status');
    // A chosen secret is counted before scrypt checks it (client-authenticator.ts):
    // the token is revoked at that moment, after its first read was sent.
    const take = h.ctx.store.rateLimits.take.bind(h.ctx.store.rateLimits);
    jest.spyOn(h.ctx.store.rateLimits, 'take').mockImplementationOnce(async (...args) => {
      expect(status).toHaveBeenCalledTimes(1);
      await h.ctx.store.revocations.add(jti, exp * 1000);
      return take(...args);
    });
    const res = await introspect(token, slow);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
    expect(status).toHaveBeenCalledTimes(2);
  });
});
