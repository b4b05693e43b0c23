/**
 * A real Tessera process on a Sentinel-managed Redis of the suite's own (a
 * primary, a replica, three sentinels on loopback) rides out a
 * `SENTINEL FAILOVER` under continuous token traffic: no 500 ever (503
 * temporarily_unavailable while the primary switches), the process stays
 * up, service comes back by itself within a measured time, and every
 * revocation acknowledged before the switch is still in force after it:
 * with TESSERA_REDIS_WAIT_REPLICAS=1 a revocation is acknowledged only once
 * the replica, the primary-to-be, has it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { startServer, type RunningServer } from '../support/process.js';
import { startOwnSentinel, type OwnSentinel } from '../support/redis-sentinel.js';
import { introspect, isUnavailable, statusCounts } from '../support/token-calls.js';
import { recoveryOf, startTraffic, untilRevoked } from '../support/token-traffic.js';

const SVC = { id: 'svc', secret: 'svc-secret-0123456789abcdef' };
// Generous for a shared 2-core machine; the figure itself is logged.
const BACK_WITHIN_MS = 20_000;

let dir: string | undefined;
let sentinel: OwnSentinel | undefined;
let server: RunningServer | undefined;

beforeAll(async () => {
  await ensureBuilt('dist/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-sentinel-'));
  sentinel = await startOwnSentinel();
  const config = path.join(dir, 'tessera.json');
  await writeFile(config, JSON.stringify({
    clients: [{ client_id: SVC.id, client_secret: SVC.secret, grant_types: ['client_credentials'], scopes: ['orders:read'] }],
  }));
  server = await startServer({
    TESSERA_REDIS_SENTINELS: sentinel.sentinelList,
    TESSERA_REDIS_SENTINEL_NAME: sentinel.name,
    TESSERA_REDIS_PREFIX: 'tessera-sentinel-test:',
    TESSERA_REDIS_WAIT_REPLICAS: '1',
    TESSERA_REDIS_WAIT_TIMEOUT: '500',
    TESSERA_KEYS_DIR: path.join(dir, 'keys'),
    TESSERA_CONFIG: config,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: 'sentinel-test-admin-secret-0123456789',
    TESSERA_RATE_LIMIT_CLIENT: '100000/60',
  }, 30_000);
}, 120_000);

afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  // The Redis servers are the suite's own: destroying them removes every key written.
  await sentinel?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

test('the process names the Sentinel mode and waits for the replica', async () => {
  const res = await fetch(`${server!.url}/readyz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ready', store: 'redis-sentinel' });
  expect(server!.stdout()).toMatch(/sentinel/i);
});

test('a SENTINEL FAILOVER under token traffic: 503 at most, never 500, service back by itself, acknowledged revocations kept', async () => {
  const traffic = startTraffic([server!], SVC);
  await untilRevoked(traffic, 20);
  const triggeredAt = Date.now();
  const { from, to } = await sentinel!.failover();
  const switchedMs = Date.now() - triggeredAt;
  // Traffic goes on until it has run cleanly well past the switch.
  const until = Date.now() + BACK_WITHIN_MS;
  while (Date.now() < until) {
    const r = recoveryOf(traffic, triggeredAt);
    if (r.lastFailureMs !== null ? Date.now() - triggeredAt - r.lastFailureMs > 5_000 : Date.now() - triggeredAt > 8_000) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  await traffic.stop();

  // Acknowledged by the time triggeredAt was read (the same millisecond included): untilRevoked() saw at least 20 of them.
  const before = traffic.revoked.filter((r) => r.at <= triggeredAt);
  const recovery = recoveryOf(traffic, triggeredAt);
  const log = {
    from, to, answers: traffic.answers.length, statuses: statusCounts(traffic.answers), revokedBeforeFailover: before.length,
    sentinelsSwitchedMs: switchedMs, firstFailureMs: recovery.firstFailureMs, lastFailureMs: recovery.lastFailureMs, serviceBackMs: recovery.backMs,
  };
  console.log(`sentinel failover: ${JSON.stringify(log)}`);

  expect(to).not.toBe(from);
  // 200 or 503 temporarily_unavailable with Retry-After, nothing else; the process is alive.
  const bad = traffic.answers.filter((x) => x.status !== 200 && !isUnavailable(x));
  expect(bad.map((x) => `${x.kind}: ${x.status} ${JSON.stringify(x.body)}`)).toEqual([]);
  expect([server!.child.exitCode, server!.child.signalCode]).toEqual([null, null]);
  // Back by itself, and clean from then on.
  expect(recovery.backMs).not.toBeNull();
  expect(recovery.lastFailureMs ?? 0).toBeLessThan(BACK_WITHIN_MS);
  expect(traffic.answers.filter((x) => x.at > triggeredAt + (recovery.lastFailureMs ?? 0)).length).toBeGreaterThan(20);
  expect(traffic.breaches).toEqual([]);

  // Every revocation acknowledged before the failover is in force on the new primary.
  expect(before.length).toBeGreaterThanOrEqual(20);
  const checks = [];
  for (const { token } of before) checks.push(await introspect(server!, SVC, token));
  expect(checks.filter((c) => c.status !== 200 || c.body.active !== false).map((c) => c.body)).toEqual([]);
  // WAIT did run on the old primary: the acknowledgements above came after the replica had the writes.
  const stats = await sentinel!.connect(from).info('commandstats');
  expect(Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThanOrEqual(before.length);
  expect(await sentinel!.connect(to).info('replication')).toMatch(/role:master/);
}, 120_000);
