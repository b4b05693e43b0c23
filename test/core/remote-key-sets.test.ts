/**
 * Fetching other parties' keys (src/core/jwks): only https (http to
 * loopback), no redirects, a deadline, a size cap; caching, the cool-down
 * on unknown kids, one fetch for concurrent callers, stale keys while the
 * owner is down; OpenID discovery checks the issuer it names.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { errors, jwtVerify } from 'jose';
import { RemoteKeySets } from '../../src/core/jwks/remote-key-sets.js';
import { IssuerDiscovery } from '../../src/core/jwks/issuer-discovery.js';
import { fetchJsonObject, FetchFailedError } from '../../src/core/jwks/fetch-json.js';
import { isLoopbackHost, outboundUrlProblem } from '../../src/core/jwks/outbound-url.js';
import { startLocalIssuer, type LocalIssuer } from '../support/local-issuer.js';
import { clientKey } from '../support/client-keys.js';

let issuer: LocalIssuer;
beforeAll(async () => { issuer = await startLocalIssuer('/tenant'); });
afterAll(async () => { await issuer.close(); });
afterEach(() => issuer.misbehave(null));

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

/** Verifies a token of the issuer's with the key set at its jwks_uri, through `sets`. */
const verifyWith = (sets: RemoteKeySets, token: string) => jwtVerify(token, (h, t) => sets.key(issuer.jwksUri, h, t));

describe('which URLs may be fetched', () => {
  test.each([
    ['https://token.actions.githubusercontent.com/.well-known/jwks', null],
    ['https://kubernetes.default.svc.cluster.local/openid/v1/jwks', null],
    ['http://127.0.0.1:8080/jwks', null],
    ['http://localhost/jwks', null],
    ['http://[::1]:9000/jwks', null],
    ['http://issuer.example/jwks', 'must be an https:// URL (http:// only to localhost/127.0.0.1/::1)'],
    ['http://10.0.0.1/jwks', 'must be an https:// URL (http:// only to localhost/127.0.0.1/::1)'],
    ['ftp://issuer.example/jwks', 'must be an https:// URL (http:// only to localhost/127.0.0.1/::1)'],
    ['https://user:pw@issuer.example/jwks', 'must not carry credentials'],
    ['https://issuer.example/jwks#frag', 'must not have a fragment'],
    ['not a url', 'must be an absolute URL'],
  ])('%s: %s', (url, problem) => {
    expect(outboundUrlProblem(url)).toBe(problem);
  });

  test('loopback is 127.0.0.0/8, ::1 and localhost, nothing else', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(['128.0.0.1', '0.0.0.0', '::', '::ffff:127.0.0.1', 'localhost.example', '169.254.169.254'].some(isLoopbackHost)).toBe(false);
  });
});

describe('fetchJsonObject', () => {
  test('refuses an answer larger than the cap, even without a Content-Length', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      // Chunked, never-ending: the cap must stop it.
      const timer = setInterval(() => res.write(`${JSON.stringify({ kty: 'RSA', n: 'x'.repeat(1000), e: 'AQAB' })},`), 1);
      res.on('close', () => clearInterval(timer));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await expect(fetchJsonObject(url, { timeoutMs: 5000, maxBytes: 64 * 1024 })).rejects.toThrow(`${url}: the answer is larger than 65536 bytes`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('gives up at its deadline, and does not follow a redirect', async () => {
    issuer.misbehave({ delayMs: 2000 });
    await expect(fetchJsonObject(issuer.jwksUri, { timeoutMs: 200, maxBytes: 1024 })).rejects.toThrow('no complete answer within 200 ms');
    issuer.misbehave({ redirectTo: 'https://elsewhere.example/jwks' });
    await expect(fetchJsonObject(issuer.jwksUri)).rejects.toBeInstanceOf(FetchFailedError);
  });

  test('only a 200 JSON object counts', async () => {
    issuer.misbehave({ status: 404 });
    await expect(fetchJsonObject(issuer.jwksUri)).rejects.toThrow('answered HTTP 404');
    issuer.misbehave({ body: '[1,2]' });
    await expect(fetchJsonObject(issuer.jwksUri)).rejects.toThrow('not a JSON object');
    issuer.misbehave({ body: '<html>' });
    await expect(fetchJsonObject(issuer.jwksUri)).rejects.toThrow('not JSON');
    await expect(fetchJsonObject('http://issuer.example/jwks')).rejects.toThrow('the URL must be an https:// URL');
  });
});

describe('RemoteKeySets', () => {
  test('fetches a set once and reuses it until cacheMs; then fetches again', async () => {
    const c = clock();
    const sets = new RemoteKeySets({ now: c.now, cacheMs: 60_000 });
    const token = await issuer.token({ sub: 'x' });
    const before = issuer.hits.jwks;
    await Promise.all([verifyWith(sets, token), verifyWith(sets, token), verifyWith(sets, token)]);
    await verifyWith(sets, token);
    expect(issuer.hits.jwks - before).toBe(1);
    c.advance(60_001);
    await verifyWith(sets, token);
    expect(issuer.hits.jwks - before).toBe(2);
  });

  test('an unknown kid fetches again, but at most once per cool-down', async () => {
    const c = clock();
    const sets = new RemoteKeySets({ now: c.now, cooldownMs: 30_000 });
    await verifyWith(sets, await issuer.token({ sub: 'x' }));
    const before = issuer.hits.jwks;
    const next = await clientKey('EdDSA');
    issuer.publish(issuer.key, next);
    const rotated = await issuer.token({ sub: 'x' }, { key: next });
    // Within the cool-down of the first fetch: refused without a fetch.
    await expect(verifyWith(sets, rotated)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(issuer.hits.jwks).toBe(before);
    c.advance(30_001);
    await expect(verifyWith(sets, rotated)).resolves.toBeDefined();
    expect(issuer.hits.jwks).toBe(before + 1);
    // Made-up kids now cost nothing until the cool-down passes again.
    const stranger = await clientKey('EdDSA');
    for (let i = 0; i < 5; i++) await expect(verifyWith(sets, await issuer.token({ sub: 'x' }, { key: stranger }))).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(issuer.hits.jwks).toBe(before + 1);
    issuer.publish(issuer.key);
  });

  test('while the owner is down, the last good set serves for staleMs, without a fetch per request', async () => {
    const c = clock();
    const sets = new RemoteKeySets({ now: c.now, cacheMs: 10_000, cooldownMs: 5_000, staleMs: 60_000 });
    const token = await issuer.token({ sub: 'x' });
    await verifyWith(sets, token);
    issuer.misbehave({ status: 503 });
    c.advance(10_001);
    const before = issuer.hits.jwks;
    await expect(verifyWith(sets, token)).resolves.toBeDefined();
    await expect(verifyWith(sets, token)).resolves.toBeDefined();
    expect(issuer.hits.jwks - before).toBe(1);
    c.advance(60_000);
    await expect(verifyWith(sets, token)).rejects.toBeInstanceOf(FetchFailedError);
  });

  test('a set holding a private or symmetric key, or no keys, is not used', async () => {
    const sets = new RemoteKeySets();
    const token = await issuer.token({ sub: 'x' });
    issuer.misbehave({ body: JSON.stringify({ keys: [{ ...issuer.key.publicJwk, d: 'private-part' }] }) });
    await expect(verifyWith(sets, token)).rejects.toThrow('not a usable JWK Set (a key holds private or symmetric material: publish public keys only)');
    const again = new RemoteKeySets();
    issuer.misbehave({ body: JSON.stringify({ keys: [] }) });
    await expect(verifyWith(again, token)).rejects.toThrow('not a usable JWK Set (needs at least one key)');
  });

  test('keeps at most maxEntries URLs', async () => {
    const sets = new RemoteKeySets({ maxEntries: 1 });
    const other = await startLocalIssuer();
    try {
      const token = await issuer.token({ sub: 'x' });
      await verifyWith(sets, token);
      await jwtVerify(await other.token({ sub: 'y' }), (h, t) => sets.key(other.jwksUri, h, t));
      const before = issuer.hits.jwks;
      await verifyWith(sets, token);
      expect(issuer.hits.jwks - before).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('IssuerDiscovery', () => {
  test('finds jwks_uri in the issuer\'s openid-configuration (an issuer with a path), cached', async () => {
    const discovery = new IssuerDiscovery();
    expect(issuer.url).toMatch(/\/tenant$/);
    const before = issuer.hits.discovery;
    await expect(discovery.jwksUri(issuer.url)).resolves.toBe(issuer.jwksUri);
    await expect(discovery.jwksUri(issuer.url)).resolves.toBe(issuer.jwksUri);
    expect(issuer.hits.discovery - before).toBe(1);
  });

  test('refuses a document that names another issuer (OpenID Discovery §4.3)', async () => {
    const discovery = new IssuerDiscovery();
    const lying = `${issuer.url.replace('127.0.0.1', 'localhost')}`;
    await expect(discovery.jwksUri(lying)).rejects.toThrow('its issuer is not the one asked about');
  });
});
