/**
 * Tessera's access tokens at a resource server built the way many Node APIs
 * are: Express with express-jwt 8 (jsonwebtoken 9) and jwks-rsa 4 reading the
 * JWKS of a listening Tessera, one Tessera per signing algorithm. The
 * resource server runs as its own Node process (fixtures/express-resource-server.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { SigningAlg } from '../../src/core/keys/types.js';
import { AccessTokenIssuer } from '../../src/core/tokens/access-token.js';
import { startListeningHarness, decodeJwt, type Harness } from '../support/harness.js';

const API = 'https://api.example.com';
const SERVER = path.resolve('test/interop/fixtures/express-resource-server.mjs');

interface ResourceServer { url: string; stop(): Promise<void> }

/** Starts the Express resource server trusting `h`'s JWKS for `alg`. */
function startResourceServer(h: Harness & { url: string }, alg: SigningAlg): Promise<ResourceServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', JWKS_URI: `${h.url}/.well-known/jwks.json`, ISSUER: h.url, AUDIENCE: API, ALGORITHMS: alg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => {
      output += d;
      const m = /\{"port":(\d+)\}/.exec(output);
      if (m) {
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          async stop() { if (child.exitCode === null) child.kill('SIGTERM'); await exited; },
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`resource server exited with ${code}: ${output}`)));
  });
}

interface Setup {
  h: Harness & { url: string };
  rs: ResourceServer;
  /** A token for the API, from the token endpoint. */
  good: string;
  /** A token for another audience, from the token endpoint. */
  otherAudience: string;
  /** A token signed by Tessera's key and issuer code, issued two minutes ago with a 60 s lifetime. */
  expired: string;
}

async function setUp(alg: SigningAlg): Promise<Setup> {
  const h = await startListeningHarness({ env: { TESSERA_SIGNING_ALG: alg } });
  const svc = await h.createClient({ scopes: ['orders:read'], audiences: [API] });
  const other = await h.createClient({ scopes: ['orders:read'], audiences: ['https://other.example.com'] });
  const good = await h.clientToken(svc.client_id, svc.client_secret, { resource: API });
  const otherAudience = await h.clientToken(other.client_id, other.client_secret);
  const twoMinutesAgo = new AccessTokenIssuer(h.ctx.keys, h.url, 60, () => Date.now() - 120_000);
  const expired = (await twoMinutesAgo.issue({ subject: svc.client_id, clientId: svc.client_id, scopes: ['orders:read'], audience: [API] })).token;
  return { h, rs: await startResourceServer(h, alg), good, otherAudience, expired };
}

/** The same token with one claim changed and the original signature kept. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.scope = 'orders:read orders:write';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** GET /orders at the resource server: its status and JSON body. */
async function get(rs: ResourceServer, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${rs.url}/orders`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(['RS256', 'ES256', 'PS256'] as const)('express-jwt + jwks-rsa with TESSERA_SIGNING_ALG=%s', (alg) => {
  let s: Setup;
  beforeAll(async () => { s = await setUp(alg); });
  afterAll(async () => { await s?.rs.stop(); await s?.h.stop(); });

  test('a token from the token endpoint is accepted: 200 with its claims', async () => {
    expect(decodeJwt(s.good).header).toMatchObject({ alg, typ: 'at+jwt' });
    const res = await get(s.rs, s.good);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      iss: s.h.url, sub: expect.any(String), aud: API, exp: expect.any(Number), iat: expect.any(Number),
      jti: expect.any(String), client_id: res.body.sub, scope: 'orders:read',
    });
  });

  test('a tampered token is 401: invalid signature', async () => {
    const res = await get(s.rs, tamper(s.good));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'invalid_token', message: 'invalid signature' });
  });

  test('a token for another audience is 401', async () => {
    expect(decodeJwt(s.otherAudience).payload.aud).toBe('https://other.example.com');
    const res = await get(s.rs, s.otherAudience);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'invalid_token', message: `jwt audience invalid. expected: ${API}` });
  });

  test('an expired token signed by the same key is 401: jwt expired', async () => {
    expect(decodeJwt(s.expired).header.kid).toBe(decodeJwt(s.good).header.kid);
    const res = await get(s.rs, s.expired);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'invalid_token', message: 'jwt expired' });
  });
});

describe('express-jwt + jwks-rsa with TESSERA_SIGNING_ALG=EdDSA', () => {
  let s: Setup;
  beforeAll(async () => { s = await setUp('EdDSA'); });
  afterAll(async () => { await s?.rs.stop(); await s?.h.stop(); });

  test('a good EdDSA token is refused (401): jsonwebtoken 9 under express-jwt 8 does not implement EdDSA, Ed25519 is an unknown key type to it', async () => {
    expect(decodeJwt(s.good).header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const res = await get(s.rs, s.good);
    expect(res.status).toBe(401);
    // jwks-rsa 4 did supply the Ed25519 key (else the message would be "secret or public key must be provided");
    // jsonwebtoken's key check then refuses it. The token itself is sound: jose verifies it against the same JWKS.
    expect(res.body).toEqual({ code: 'invalid_token', message: 'Unknown key type "ed25519".' });
    const jwks = createRemoteJWKSet(new URL(`${s.h.url}/.well-known/jwks.json`));
    await expect(jwtVerify(s.good, jwks, { issuer: s.h.url, audience: API, typ: 'at+jwt', algorithms: ['EdDSA'] })).resolves.toBeDefined();
  });
});
