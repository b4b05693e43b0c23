/** GET /oauth/revocations: a signed, cursor-paged feed of revocations that verifies against the JWKS. */
import { REVOCATION_MARGIN_MS } from '../../src/core/tokens/clock-tolerance.js';
import request from 'supertest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startHarness, ISSUER, type Harness } from '../support/harness.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

describe.each([['memory', false], ['Redis', true]] as const)('on the %s store', (_name, redis) => {
  let h: Harness;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  beforeAll(async () => {
    h = await startHarness({ redis });
    jwks = createLocalJWKSet((await request(h.app).get('/.well-known/jwks.json')).body);
  });
  afterAll(async () => { await h.stop(); });

  const read = async (since?: string) => {
    const res = await request(h.app).get(`/oauth/revocations${since ? `?since=${since}` : ''}`);
    expect(res.status).toBe(200);
    const { payload, protectedHeader } = await jwtVerify(res.body instanceof Buffer ? res.body.toString() : res.text, jwks, { issuer: ISSUER, typ: 'revocations+jwt' });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    return { res, claims: payload as unknown as { cursor: string | null; more: boolean; revoked: Array<{ jti: string; exp: number }>; cutoffs: Array<{ sub: string; before: number }> } };
  };

  test('an access token revoked at /oauth/revoke, a user cut-off and an API token revocation all appear, then the cursor moves on', async () => {
    const { claims: start } = await read();
    const c = await h.createClient({ client_id: `feed-${redis}`, scopes: ['a'], grant_types: ['client_credentials', EXCHANGE] });
    const token = await h.clientToken(c.client_id, c.client_secret);
    await request(h.app).post('/oauth/revoke').auth(c.client_id, c.client_secret).type('form').send({ token }).expect(200);
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    await h.ctx.users.putRole('r', ['a']);
    const user = await h.ctx.users.create({ username: `feed-user-${redis}`, password: 'feed-password', roles: ['r'] });
    await h.ctx.users.revokeTokens(user.id);
    const api = await h.ctx.apiTokens.create({ user: user.id, name: 'x', scopes: ['a'] }, { actor: { type: 'client', id: 't' } });
    await h.ctx.apiTokens.revoke(api.record.id, null, { actor: { type: 'client', id: 't' } });

    const { claims } = await read(start.cursor ?? undefined);
    expect(claims.revoked.map((r) => r.jti)).toEqual([jti, `api_token:${api.record.id}`]);
    expect(claims.revoked[0]!.exp).toBeGreaterThan(Date.now() / 1000);
    expect(claims.cutoffs).toEqual([{ sub: user.id, before: Math.ceil(Date.parse((await h.ctx.users.get(user.id)).tokens_revoked_at!) / 1000) }]);
    expect(claims.more).toBe(false);

    const { res: after, claims: none } = await read(claims.cursor!);
    expect(none).toMatchObject({ cursor: claims.cursor, revoked: [], cutoffs: [] });
    // Nothing new: the same ETag, and a 304 when the verifier sends it.
    const again = await request(h.app).get(`/oauth/revocations?since=${claims.cursor}`).set('If-None-Match', after.headers.etag!);
    expect(again.status).toBe(304);
    expect(again.headers['cache-control']).toBe('no-store');
  });

  test('entries stay while a validator\'s clock tolerance could accept their tokens, and are left out after', async () => {
    const { claims: start } = await read();
    // Expired a second ago: still within every tolerance, still in the feed.
    await h.ctx.store.revocations.add('just-expired', Date.now() - 1_000);
    // Expired the largest tolerance ago, less 150 ms: in it for 150 ms more.
    await h.ctx.store.revocations.add('short-lived', Date.now() - REVOCATION_MARGIN_MS + 150);
    const { claims: now } = await read(start.cursor ?? undefined);
    expect(now.revoked.map((r) => r.jti)).toEqual(expect.arrayContaining(['just-expired', 'short-lived']));
    await new Promise((r) => setTimeout(r, 200));
    const { claims } = await read(start.cursor ?? undefined);
    expect(claims.revoked.map((r) => r.jti)).toContain('just-expired');
    expect(claims.revoked.map((r) => r.jti)).not.toContain('short-lived');
  });
});
