/**
 * Access tokens and time, wherever they are validated (introspection, the
 * admin API's bearer check, tessera/verifier): a validly signed token
 * "issued" in the future is refused, and a revoked token stays revoked for
 * as long as any validator's clock tolerance would accept it past its exp.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { SignJWT, decodeJwt as joseDecode, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { testRedisUrl } from '../support/redis.js';
import { requireToken, type TokenMiddleware } from '../../src/verifier/index.js';

const AUD = 'https://orders.test';
const TEN_YEARS = 10 * 365 * 86_400;

let h: Harness & { url: string };
let redis: Redis;
let svc: { client_id: string; client_secret: string };
const opened: Array<{ auth: TokenMiddleware; server: http.Server }> = [];

beforeAll(async () => {
  // The server's own tolerance is the default, 60 s.
  h = await startListeningHarness({ redis: true });
  redis = new Redis(testRedisUrl());
  svc = await h.createClient({ scopes: ['orders:read', 'tessera:admin'], audiences: [AUD, h.url] });
});
afterAll(async () => {
  for (const { auth, server } of opened) {
    await auth.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  redis.disconnect();
  await h.stop();
});

/** A token signed with the server's own key, as only the server (or a thief of its key) could make. */
async function signed(claims: Record<string, unknown>): Promise<string> {
  const key = h.ctx.keys.signingKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: svc.client_id, client_id: svc.client_id, scope: 'orders:read tessera:admin', jti: randomUUID(), iss: h.url, aud: [AUD, h.url], iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .sign(key.privateKey);
}

const introspect = async (token: string) =>
  (await request(h.app).post('/oauth/introspect').auth(svc.client_id, svc.client_secret).type('form').send({ token })).body as { active: boolean };
const adminCall = (token: string) => request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${token}`);

async function verifier(revocations: 'redis' | 'feed') {
  const auth = requireToken({
    issuer: h.url, audience: AUD,
    revocations: revocations === 'redis' ? { redis, prefix: h.config.redisPrefix } : { feed: true, pollIntervalMs: 100 },
  });
  const app = express();
  app.get('/orders', auth, (_req, res) => { res.json({ ok: true }); });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  opened.push({ auth, server });
  if (revocations === 'feed') await auth.ready();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  return async (token: string) => {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } };
  };
}

describe('a validly signed token with iat in the future', () => {
  test('is refused at introspection, by the admin API and by tessera/verifier', async () => {
    const future = await signed({ iat: Math.floor(Date.now() / 1000) + TEN_YEARS });
    expect(await introspect(future)).toEqual({ active: false });
    const admin = await adminCall(future);
    expect(admin.status).toBe(401);
    expect(admin.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token"/);
    const get = await verifier('redis');
    expect(await get(future)).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'the token\'s iat is not valid' } });
  });

  test('does not survive a user\'s revoke-tokens', async () => {
    await h.ctx.users.putRole('reader', ['orders:read']);
    const user = await h.ctx.users.create({ username: 'futurist', password: 'a long enough password', roles: ['reader'] });
    const future = await signed({ sub: user.id, iat: Math.floor(Date.now() / 1000) + TEN_YEARS });
    await h.ctx.users.revokeTokens(user.id);
    expect(await introspect(future)).toEqual({ active: false });
  });

  test('within the clock tolerance (a clock a little ahead) it is still accepted', async () => {
    const ahead = await signed({ iat: Math.floor(Date.now() / 1000) + 20 });
    expect((await introspect(ahead)).active).toBe(true);
    expect((await adminCall(ahead)).status).toBe(200);
    expect((await (await verifier('redis'))(ahead)).status).toBe(200);
  });
});

describe('a revoked access token', () => {
  test('stays revoked after its exp for as long as the clock tolerance lets validators accept it: introspection, admin API, verifier on Redis and on the feed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signed({ iat: now, exp: now + 1 });
    const { jti } = joseDecode(token);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const viaRedis = await verifier('redis');
    const viaFeed = await verifier('feed');
    expect((await viaRedis(token)).status).toBe(200);
    await request(h.app).post('/oauth/revoke').auth(svc.client_id, svc.client_secret).type('form').send({ token }).expect(200);
    // exp + 1.5 s: past exp, well inside the server's 60 s and the verifier's 30 s of tolerance.
    await new Promise((r) => setTimeout(r, (now + 2.5) * 1000 - Date.now()));
    expect(await introspect(token)).toEqual({ active: false });
    expect((await adminCall(token)).status).toBe(401);
    expect(await viaRedis(token)).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'the token has been revoked' } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await viaFeed(token)).status).toBe(401);
    // And the feed still names it, for verifiers that start reading it now.
    const page = await request(h.app).get('/oauth/revocations');
    expect(page.status).toBe(200);
    expect((joseDecode(page.text.trim()).revoked as Array<{ jti: string }>).map((e) => e.jti)).toContain(jti);
  });

  test('tessera/verifier refuses a clock tolerance beyond what revocations outlive', () => {
    expect(() => requireToken({ issuer: h.url, audience: AUD, clockToleranceSeconds: 301 })).toThrow(
      'requireToken: clockToleranceSeconds must be from 0 to 300 (revocations are kept that long past a token\'s exp)',
    );
  });
});
