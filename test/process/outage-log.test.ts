/**
 * What the log says during a Redis outage under load, from a real server
 * process and a redis-server of the test's own: one line when the store
 * starts failing, a summary while it lasts, one line when it is back; the
 * refused requests themselves only at debug.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../support/process.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';

const ADMIN_SECRET = 'outage-log-admin-secret-0123456789';
const BASIC = `Basic ${Buffer.from(`tessera-admin:${ADMIN_SECRET}`).toString('base64')}`;
const FORM = { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' };

let dir: string | undefined;
let redis: OwnRedis | undefined;
let server: RunningServer | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await redis?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Line { level: string; msg: string; [k: string]: unknown }
const lines = (): Line[] => server!.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an outage under load is one line when it starts, summaries while it lasts and one line when it ends, not a line per refused request', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-outage-log-'));
  redis = await startOwnRedis();
  server = await startServer({
    REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: 'tessera-outage-log:', TESSERA_KEYS_DIR: path.join(dir, 'keys'),
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET, TESSERA_LOG_LEVEL: 'info',
  }, 30_000);
  const token = await fetch(`${server.url}/oauth/token`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' });
  expect(token.status).toBe(200);
  const before = lines().length;

  await redis.stop();
  // About 12 s of load: 30 requests at a time, token and introspection requests.
  let refused = 0;
  const until = Date.now() + 12_000;
  while (Date.now() < until) {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${server!.url}${i % 2 ? '/oauth/token' : '/oauth/introspect'}`, {
      method: 'POST', headers: FORM, body: i % 2 ? 'grant_type=client_credentials' : 'token=x',
    }).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    expect(answers.every((s) => s === 503)).toBe(true);
    refused += answers.length;
  }
  expect(refused).toBeGreaterThanOrEqual(300);
  await redis.start();
  // Back once a probe succeeds with no failure since the one before (probes every second).
  for (let i = 0; i < 100 && !lines().some((l) => l.msg === 'the store is back'); i++) await sleep(200);
  expect(await server.stop()).toBe(0);

  const during = lines().slice(before);
  const started = during.filter((l) => l.msg.startsWith('the store is failing'));
  const summaries = during.filter((l) => l.msg === 'the store is still failing');
  const back = during.filter((l) => l.msg === 'the store is back');
  expect(started).toHaveLength(1);
  expect(started[0]).toMatchObject({ level: 'error', cause: expect.any(String) });
  expect(summaries.length).toBeGreaterThanOrEqual(1);
  expect(summaries[0]).toMatchObject({ level: 'warn', refused: expect.any(Number), refused_by_route: expect.objectContaining({ 'POST /oauth/token': expect.any(Number) }) });
  expect(back).toHaveLength(1);
  expect(back[0]).toMatchObject({ level: 'info', refused, lasted_ms: expect.any(Number) });
  expect((back[0]!.refused_by_route as Record<string, number>)['POST /oauth/introspect']).toBe(refused / 2);
  // None of the refused requests has a line of its own at the configured level.
  expect(during.filter((l) => l.msg === 'request' && l.status === 503)).toEqual([]);
  // The whole outage: the three kinds above, a few connection warnings (one per distinct error), the shutdown.
  expect(during.length).toBeLessThan(20);
}, 120_000);
