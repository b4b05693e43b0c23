/**
 * A real Redis outage under a real server process: while redis-server is
 * stopped, everything that needs the store answers 503
 * temporarily_unavailable quickly (never 500, never a hang), /readyz is 503
 * and /healthz 200; when redis-server comes back on the same port (with its
 * AOF, so the admin client is still there), service returns without
 * restarting Tessera.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../support/process.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';

// Bounds are generous for a slow shared 2-core machine, but real: a store
// call gives up after 1.5 s (src/store/redis/connection.ts) and a reconnect
// is tried at least every 2 s.
const ANSWER_WITHIN_MS = 3_000;
const BURST_WITHIN_MS = 10_000;
const RECOVER_WITHIN_MS = 15_000;

const ADMIN_SECRET = 'outage-test-admin-secret-0123456789';
const BASIC = `Basic ${Buffer.from(`tessera-admin:${ADMIN_SECRET}`).toString('base64')}`;

let dir: string | undefined;
let redis: OwnRedis | undefined;
let server: RunningServer | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await redis?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every status the test saw, to show that none was a 500. */
const seen: { what: string; status: number }[] = [];

interface Answer { status: number; headers: Headers; body: Record<string, unknown>; ms: number }

async function call(what: string, pathname: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  // The abort is only a backstop so a hang fails the test instead of stalling it.
  const res = await fetch(`${server!.url}${pathname}`, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  const ms = Date.now() - started;
  seen.push({ what, status: res.status });
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, ms };
}

const tokenRequest = () => call('token', '/oauth/token', {
  method: 'POST',
  headers: { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials&scope=tessera%3Aadmin',
});

function expectUnavailable(a: Answer): void {
  expect(a.status).toBe(503);
  expect(a.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the token store is unavailable; retry shortly' });
  expect(a.headers.get('retry-after')).toBe('1');
  expect(a.ms).toBeLessThan(ANSWER_WITHIN_MS);
}

async function pollUntil(within: number, check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + within;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

test('during a Redis outage the server answers 503 quickly and stays up; when Redis returns, so does service', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-outage-'));
  redis = await startOwnRedis();
  server = await startServer({
    REDIS_URL: redis.url,
    TESSERA_REDIS_PREFIX: 'tessera-outage:',
    TESSERA_KEYS_DIR: path.join(dir, 'keys'),
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
  }, 30_000);

  // Before: all well.
  const first = await tokenRequest();
  expect(first.status).toBe(200);
  const adminToken = first.body.access_token as string;
  expect((await call('readyz', '/readyz')).status).toBe(200);

  await redis.stop();

  // During: the store is gone.
  const ready = await call('readyz', '/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ status: 'unavailable', store: 'redis', checks: { store: 'unavailable', keys: 'ok' } });
  expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);

  expectUnavailable(await tokenRequest());
  expectUnavailable(await call('introspect', '/oauth/introspect', {
    method: 'POST',
    headers: { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `token=${adminToken}`,
  }));
  expectUnavailable(await call('revoke', '/oauth/revoke', {
    method: 'POST',
    headers: { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `token=${adminToken}`,
  }));
  expectUnavailable(await call('admin', '/admin/v1/clients', { headers: { Authorization: `Bearer ${adminToken}` } }));

  const burstStarted = Date.now();
  const burst = await Promise.all(Array.from({ length: 50 }, () => tokenRequest()));
  expect(Date.now() - burstStarted).toBeLessThan(BURST_WITHIN_MS);
  expect(burst.map((a) => a.status)).toEqual(Array(50).fill(503));
  for (const a of burst) expect(a.body.error).toBe('temporarily_unavailable');

  // What needs no store still answers, and the process is alive.
  expect((await call('healthz', '/healthz')).status).toBe(200);
  expect((await call('jwks', '/.well-known/jwks.json')).status).toBe(200);
  expect((await call('metadata', '/.well-known/oauth-authorization-server')).status).toBe(200);
  expect(server.child.exitCode).toBeNull();
  expect(server.child.signalCode).toBeNull();

  // After: the same port, the same AOF; no restart of Tessera.
  await redis.start();
  expect(await pollUntil(RECOVER_WITHIN_MS, async () => (await call('readyz', '/readyz')).status === 200)).toBe(true);
  const again = await tokenRequest();
  expect(again.status).toBe(200);
  expect(again.body.scope).toBe('tessera:admin');
  expect((await call('admin', '/admin/v1/clients', { headers: { Authorization: `Bearer ${again.body.access_token as string}` } })).status).toBe(200);

  expect(seen.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
  expect(server.child.exitCode).toBeNull();
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).not.toMatch(/\n\s+at /);
  expect(server.stderr()).toBe('');
  const logs = server.stdout().split('\n').filter((l) => l.startsWith('{'));
  expect(logs.filter((l) => l.includes('"request failed"'))).toEqual([]);
  expect(server.stdout()).not.toMatch(/\n\s+at /);
}, 120_000);
