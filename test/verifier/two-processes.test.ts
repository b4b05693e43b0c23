/**
 * The verifier's acceptance tests with real processes: a Tessera server on
 * Redis, and examples/resource-server.mjs run three times (two reading
 * Tessera's Redis, one polling the revocation feed), each importing
 * `@tessera-auth/server/verifier` through the package's "exports" as a user's code would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../support/process.js';
import { ensureBuilt } from '../support/build.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';

const AUD = 'https://orders.example.test';
const ADMIN_SECRET = 'two-processes-admin-secret-0123456789';
const APP = { id: 'orders-app', secret: 'orders-app-secret-0123456789' };
const INTROSPECTOR = { id: 'orders-api', secret: 'orders-api-secret-0123456789' };
const EXAMPLE = path.resolve('examples/resource-server.mjs');

interface ResourceServer {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function startResourceServer(env: Record<string, string>, timeoutMs = 15_000): Promise<ResourceServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`resource server did not start: ${out}`)); }, timeoutMs);
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child, url: `http://127.0.0.1:${m[1]}`, output: () => out,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`resource server exited with ${code}: ${out}`)); });
  });
}

let dir: string;
let prefix: string;
let tessera: RunningServer | undefined;
let viaRedis1: ResourceServer | undefined;
let viaRedis2: ResourceServer | undefined;
let viaFeed: ResourceServer | undefined;

beforeAll(async () => {
  await ensureBuilt('dist/verifier/index.js', 'dist/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-verifier-'));
  prefix = testRedisPrefix('verifier-procs');
  const config = path.join(dir, 'tessera.json');
  await writeFile(config, JSON.stringify({
    roles: { reader: ['orders:read'] },
    users: [{ username: 'alice', password: 'alice-password-1', roles: ['reader'] }],
    clients: [
      { client_id: APP.id, client_secret: APP.secret, grant_types: ['client_credentials'], scopes: ['orders:read'], audiences: [AUD] },
      { client_id: INTROSPECTOR.id, client_secret: INTROSPECTOR.secret, grant_types: ['client_credentials'], scopes: [] },
    ],
  }));
  // The issuer must be known before the start, and the verifiers fetch from it: a fixed free port on 127.0.0.1.
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  tessera = await startServer({
    PORT: String(port), TESSERA_ISSUER: issuer, TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_CONFIG: config,
    REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
  });
  const common = {
    TESSERA_ISSUER: issuer, AUDIENCE: AUD, REQUIRED_SCOPE: 'orders:read',
    INTROSPECT_CLIENT_ID: INTROSPECTOR.id, INTROSPECT_CLIENT_SECRET: INTROSPECTOR.secret,
  };
  const withRedis = { ...common, REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix };
  [viaRedis1, viaRedis2, viaFeed] = await Promise.all([
    startResourceServer(withRedis),
    startResourceServer(withRedis),
    startResourceServer({ ...common, FEED_POLL_MS: '300' }),
  ]);
}, 120_000);

afterAll(async () => {
  const codes = await Promise.all([viaRedis1, viaRedis2, viaFeed].map((s) => s?.stop()));
  await tessera?.stop();
  await rm(dir, { recursive: true, force: true });
  const redis = new Redis(testRedisUrl());
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
  // SIGTERM closes the example cleanly.
  expect(codes).toEqual([0, 0, 0]);
});

const form = (p: string, body: Record<string, string>, [id, secret]: [string, string]) =>
  fetch(`${tessera!.url}${p}`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });

async function accessToken(id: string, secret: string, scope: string): Promise<string> {
  const res = await form('/oauth/token', { grant_type: 'client_credentials', scope }, [id, secret]);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const orders = (s: ResourceServer, token: string) => fetch(`${s.url}/orders`, { headers: { Authorization: `Bearer ${token}` } });

test('a token revoked at Tessera is refused at once with Redis, and within one poll interval with the feed', async () => {
  const token = await accessToken(APP.id, APP.secret, 'orders:read');
  for (const s of [viaRedis1!, viaFeed!]) {
    const res = await orders(s, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sub: APP.id });
  }
  expect((await form('/oauth/revoke', { token }, [APP.id, APP.secret])).status).toBe(200);

  const now = await orders(viaRedis1!, token);
  expect(now.status).toBe(401);
  expect(now.headers.get('www-authenticate')).toContain('error="invalid_token"');

  // FEED_POLL_MS=300: one poll interval plus a round trip, with margin.
  await new Promise((r) => setTimeout(r, 1000));
  const later = await orders(viaFeed!, token);
  expect(later.status).toBe(401);
  expect(await later.json()).toEqual({ error: 'invalid_token', error_description: 'the token has been revoked' });
});

test('an API token\'s rate limit is global: used alternately through two verifier processes, the 4th request of 3/60 is 429', async () => {
  const admin = await accessToken('tessera-admin', ADMIN_SECRET, 'tessera:admin');
  const created = await fetch(`${tessera!.url}/admin/v1/api-tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'alice', name: 'limited', scopes: ['orders:read'], rate_limit: { requests: 3, per_seconds: 60 } }),
  });
  expect(created.status).toBe(201);
  const { token } = (await created.json()) as { token: string };

  const answers = [];
  for (const s of [viaRedis1!, viaRedis2!, viaRedis1!, viaRedis2!]) answers.push(await orders(s, token));
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
  for (const r of answers) expect(r.headers.get('ratelimit-policy')).toBe('"api_token";q=3;w=60');
  expect(answers[2]!.headers.get('ratelimit')).toMatch(/^"api_token";r=0;t=(59|60)$/);
  const refused = answers[3]!;
  // GCRA 3/60: the next request is allowed 20 s after the first (whole seconds of the wall clock).
  expect(refused.headers.get('retry-after')).toMatch(/^(19|20)$/);
  expect(await refused.json()).toEqual({ error: 'too_many_requests', error_description: `the api_token rate limit is reached; retry after ${refused.headers.get('retry-after')} s` });
});
