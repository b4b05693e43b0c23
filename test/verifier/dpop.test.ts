/**
 * tessera/verifier and DPoP (RFC 9449 §7, §9), against a DPoP client written
 * with jose alone (test/support/dpop.ts): a bound token is accepted only
 * with a fresh proof for this request, this token and its key; replays are
 * refused in one process and, through Redis, across instances; nonces.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { dpopKey, proof, type DpopKey } from '../support/dpop.js';
import { deleteKeysUnder } from '../store/redis-keys.js';
import { requireToken, type TokenMiddleware, type VerifierOptions } from '../../src/verifier/index.js';

const AUD = 'https://orders.test';
const NONCE_SECRET = 'a-resource-server-nonce-secret-0123456789';

let h: Harness & { url: string };
let redis: Redis;
let svc: { client_id: string; client_secret: string };
let key: DpopKey;
const replayPrefix = testRedisPrefix('verifier-dpop');
const opened: Array<{ auth: TokenMiddleware; server: http.Server }> = [];

beforeAll(async () => {
  h = await startListeningHarness();
  redis = new Redis(testRedisUrl());
  svc = await h.createClient({ scopes: ['orders:read'], audiences: [AUD] });
  key = await dpopKey();
});

afterAll(async () => {
  for (const { auth, server } of opened) {
    await auth.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await deleteKeysUnder(redis, replayPrefix);
  redis.disconnect();
  await h.stop();
});

/** A DPoP-bound access token, asked for with fetch and a jose-made proof, as any client would. */
async function boundToken(k: DpopKey = key): Promise<string> {
  const htu = `${h.url}/oauth/token`;
  const res = await fetch(htu, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${svc.client_id}:${svc.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await proof(k, { htm: 'POST', htu }),
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token: string; token_type: string };
  expect(body.token_type).toBe('DPoP');
  return body.access_token;
}

async function serve(options: Partial<VerifierOptions> = {}) {
  const auth = requireToken({ issuer: h.url, audience: AUD, realm: 'orders', scopes: ['orders:read'], ...options });
  const app = express();
  app.all('/orders', auth, (req, res) => res.json({ sub: req.auth!.sub, cnf: req.auth!.claims.cnf }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  opened.push({ auth, server });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  const call = async (headers: Record<string, string>, method = 'GET', path = '') => {
    const res = await fetch(`${url}${path}`, { method, headers });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return { url, call };
}

const DPOP_CHALLENGE = (error: string) => new RegExp(`^DPoP realm="orders", error="${error}", error_description="[^"]+", algs="[^"]+"$`);

describe('a DPoP-bound token at a resource server', () => {
  let rs: Awaited<ReturnType<typeof serve>>;
  let token: string;
  beforeAll(async () => {
    rs = await serve();
    token = await boundToken();
  });

  test('is accepted with a fresh proof of its key for this method, URL and token', async () => {
    const res = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token }) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: svc.client_id, cnf: { jkt: key.jkt } });
    // The query is not part of htu (RFC 9449 §4.3).
    const withQuery = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token }) }, 'GET', '?page=2');
    expect(withQuery.status).toBe(200);
  });

  test('is refused without a proof', async () => {
    const res = await rs.call({ authorization: `DPoP ${token}` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'a DPoP-bound token needs a DPoP proof' });
    expect(res.headers.get('www-authenticate')).toMatch(DPOP_CHALLENGE('invalid_dpop_proof'));
  });

  test('is refused as a Bearer token, with a DPoP challenge (RFC 9449 §7.2)', async () => {
    const res = await rs.call({ authorization: `Bearer ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token }) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(DPOP_CHALLENGE('invalid_token'));
  });

  test.each([
    ['another method', { htm: 'POST' }, "the DPoP proof's htm is not this request's method"],
    ['another URL', { htu: 'http://127.0.0.1:1/orders' }, "the DPoP proof's htu is not this request's URL"],
    ['no ath', { accessToken: undefined }, "the DPoP proof's ath is not the hash of this access token"],
    ['an old iat', { iat: Math.floor(Date.now() / 1000) - 3600 }, "the DPoP proof's iat is not recent"],
  ])('is refused with a proof for %s', async (_what, change, description) => {
    const p = await proof(key, { htm: 'GET', htu: rs.url, accessToken: token, ...change });
    const res = await rs.call({ authorization: `DPoP ${token}`, dpop: p });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: description });
    expect(res.headers.get('www-authenticate')).toMatch(DPOP_CHALLENGE('invalid_dpop_proof'));
  });

  test('is refused with a replayed proof', async () => {
    const p = await proof(key, { htm: 'GET', htu: rs.url, accessToken: token });
    expect((await rs.call({ authorization: `DPoP ${token}`, dpop: p })).status).toBe(200);
    const again = await rs.call({ authorization: `DPoP ${token}`, dpop: p });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'this DPoP proof was used already; make a new one for each request' });
  });

  test('is refused with a proof made by another key (a stolen token and the thief\'s own key)', async () => {
    const thief = await dpopKey();
    const res = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(thief, { htm: 'GET', htu: rs.url, accessToken: token }) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof is not made with the key the token is bound to' });
  });

  test('an unbound token with the DPoP scheme is refused; as Bearer it works', async () => {
    const plain = await h.clientToken(svc.client_id, svc.client_secret);
    const res = await rs.call({ authorization: `DPoP ${plain}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: plain }) });
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe('this token is not DPoP-bound: send it with the Bearer scheme');
    expect((await rs.call({ authorization: `Bearer ${plain}` })).status).toBe(200);
  });
});

test('with a Redis replay cache, a proof used at one instance is refused at another', async () => {
  // Two instances behind one public name, as a load balancer would put them.
  const dpop = { replay: { redis, prefix: replayPrefix }, origin: 'https://orders.test' };
  const [c, d] = [await serve({ dpop }), await serve({ dpop })];
  const token = await boundToken();
  const origin = dpop.origin;
  const p = await proof(key, { htm: 'GET', htu: `${origin}/orders`, accessToken: token });
  expect((await c.call({ authorization: `DPoP ${token}`, dpop: p })).status).toBe(200);
  const replay = await d.call({ authorization: `DPoP ${token}`, dpop: p });
  expect(replay.status).toBe(401);
  expect(replay.body.error_description).toBe('this DPoP proof was used already; make a new one for each request');
});

test('with dpop.required, bearer tokens are refused with a DPoP challenge, and a missing token gets one too', async () => {
  const rs = await serve({ dpop: { required: true } });
  const plain = await h.clientToken(svc.client_id, svc.client_secret);
  const bearer = await rs.call({ authorization: `Bearer ${plain}` });
  expect(bearer.status).toBe(401);
  expect(bearer.body.error_description).toBe('only DPoP-bound tokens are accepted here');
  expect(bearer.headers.get('www-authenticate')).toMatch(DPOP_CHALLENGE('invalid_token'));
  const none = await rs.call({});
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^DPoP realm="orders", algs="[^"]+"$/);
  const token = await boundToken();
  expect((await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token }) })).status).toBe(200);
});

test('nonces (RFC 9449 §9): a proof without one gets use_dpop_nonce and DPoP-Nonce; with it the request passes and gets the next one', async () => {
  const rs = await serve({ dpop: { nonceSecret: NONCE_SECRET } });
  const token = await boundToken();
  const first = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token }) });
  expect(first.status).toBe(401);
  expect(first.body.error).toBe('use_dpop_nonce');
  expect(first.headers.get('www-authenticate')).toMatch(DPOP_CHALLENGE('use_dpop_nonce'));
  const nonce = first.headers.get('dpop-nonce')!;
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const second = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token, nonce }) });
  expect(second.status).toBe(200);
  expect(second.headers.get('dpop-nonce')).toBe(nonce);
  const wrong = await rs.call({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: rs.url, accessToken: token, nonce: 'not-ours' }) });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toBe('use_dpop_nonce');
});

test('options that cannot work fail at start-up', () => {
  expect(() => requireToken({ issuer: h.url, audience: AUD, dpop: { nonceSecret: 'short' } })).toThrow('dpop.nonceSecret must be a string of at least 32 characters');
  expect(() => requireToken({ issuer: h.url, audience: AUD, dpop: { origin: 'https://x.example/path' } })).toThrow('dpop.origin must be a scheme and host');
  expect(() => requireToken({ issuer: h.url, audience: AUD, dpop: { iatWindowSeconds: 0 } })).toThrow('dpop.iatWindowSeconds');
});
