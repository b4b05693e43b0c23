/**
 * Two real Tessera processes on one Redis Cluster of the suite's own (three
 * primaries, one replica each, on loopback ports): they share tokens,
 * revocations, refresh-token families and per-client rate limits as one
 * server would; and when a primary dies, requests answer 503 (never 500)
 * until its replica takes over, then service resumes by itself, with every
 * revocation acknowledged before the crash still in force (WAIT put it on
 * the replica first). Slots moved between primaries (resharding) under
 * traffic are followed the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { loginThroughForm } from '../support/login-form.js';
import { startServer, type RunningServer } from '../support/process.js';
import { startOwnCluster, type OwnCluster } from '../support/redis-cluster.js';
import { freePort } from '../support/redis-server.js';
import { testRedisPrefix } from '../support/redis.js';
import { clientCredentials, introspect, introspectEach, isUnavailable, postForm, refresh, revoke, statusCounts, type Answer } from '../support/token-calls.js';
import { recoveryOf, startTraffic, untilRevoked } from '../support/token-traffic.js';

const ADMIN_SECRET = 'cluster-procs-admin-secret-0123456789';
const SVC = { id: 'svc', secret: 'svc-secret-0123456789abcdef' };
const METERED = { id: 'metered', secret: 'metered-secret-0123456789abc' };
// The failover traffic's own client: svc's rate-limit counter is spent by then.
const TRAFFIC = { id: 'traffic', secret: 'traffic-secret-0123456789abc' };
const WEB = { id: 'web-app', secret: 'web-app-secret-0123456789abc' };
const REDIRECT = 'http://localhost:5173/cb';
const ALLOWANCE = 25;

let dir: string | undefined;
let cluster: OwnCluster | undefined;
let issuer: string;
let common: Record<string, string>;
const servers: RunningServer[] = [];

async function stopAll(): Promise<void> {
  for (const s of servers.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) await s.stop();
  }
}

beforeAll(async () => {
  await ensureBuilt('dist/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cluster-procs-'));
  cluster = await startOwnCluster({ replicas: 1 });
  const config = path.join(dir, 'tessera.json');
  await writeFile(config, JSON.stringify({
    roles: { reader: ['orders:read'] },
    users: [{ username: 'alice', password: 'alice-password-1', roles: ['reader'] }],
    clients: [
      { client_id: SVC.id, client_secret: SVC.secret, grant_types: ['client_credentials'], scopes: ['orders:read'] },
      { client_id: TRAFFIC.id, client_secret: TRAFFIC.secret, grant_types: ['client_credentials'], scopes: ['orders:read'] },
      { client_id: METERED.id, client_secret: METERED.secret, grant_types: ['client_credentials'], scopes: ['orders:read'] },
      { client_id: WEB.id, client_secret: WEB.secret, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] },
    ],
  }));
  // One issuer for both (tokens of one are valid at the other): the first one's address.
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  common = {
    TESSERA_ISSUER: issuer,
    TESSERA_REDIS_CLUSTER_NODES: cluster.seeds,
    TESSERA_REDIS_PREFIX: testRedisPrefix('cluster-procs'),
    TESSERA_REDIS_WAIT_REPLICAS: '1',
    // The longest WAIT the server allows: in a full test run a browser suite may share the two cores, and a
    // start whose bootstrap writes a replica does not confirm in time exits (its 503 has no one to retry it).
    TESSERA_REDIS_WAIT_TIMEOUT: '1000',
    // A shared keys directory: how two processes on one host share signing keys.
    TESSERA_KEYS_DIR: path.join(dir, 'keys'),
    TESSERA_CONFIG: config,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    // GCRA: a burst of ALLOWANCE, then one more every 144 s: nothing refills during the test.
    TESSERA_RATE_LIMIT_CLIENT: `${ALLOWANCE}/3600`,
    // Every client authentication is counted against the address before it is checked (then given back):
    // the bursts of checks below, all from 127.0.0.1, must not reach that limit.
    TESSERA_RATE_LIMIT_AUTH_FAILURES: '100000/60',
  };
  // One after the other: the first creates the signing key and applies the bootstrap file.
  servers.push(await startServer({ ...common, PORT: String(port) }, 30_000));
  servers.push(await startServer(common, 30_000));
}, 180_000);

afterAll(async () => {
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
  // The cluster is the suite's own: destroying it removes every key written to it.
  await cluster?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

test('both processes say they run on the Redis Cluster', async () => {
  for (const s of servers) {
    const res = await fetch(`${s.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', store: 'redis-cluster' });
  }
});

test('a token issued by one process is introspected by the other; a revocation on one is seen by the other at once', async () => {
  const [a, b] = servers as [RunningServer, RunningServer];
  const issued = await clientCredentials(a, SVC);
  expect(issued.status).toBe(200);
  const token = issued.body.access_token as string;
  const live = await introspect(b, SVC, token);
  expect(live.status).toBe(200);
  expect(live.body).toMatchObject({ active: true, client_id: SVC.id, iss: issuer, scope: 'orders:read' });

  expect((await revoke(b, SVC, token)).status).toBe(200);
  // No wait between: the next request to the other process already sees it.
  expect((await introspect(a, SVC, token)).body).toEqual({ active: false });
  expect((await introspect(b, SVC, token)).body).toEqual({ active: false });
});

test('20 concurrent refreshes of one refresh token split across both leave exactly one successor; a reuse on either ends the family', async () => {
  const [a, b] = servers as [RunningServer, RunningServer];
  const verifier = randomBytes(32).toString('base64url');
  const authorize = `${a.url}/oauth/authorize?${new URLSearchParams({
    response_type: 'code', client_id: WEB.id, redirect_uri: REDIRECT, scope: 'orders:read offline_access', state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })}`;
  const code = (await loginThroughForm(authorize, 'alice', 'alice-password-1')).searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  const first = await postForm(`${b.url}/oauth/token`, WEB, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT });
  expect(first.status).toBe(200);
  const original = first.body.refresh_token as string;

  // One rotation; the other nineteen are retries within the grace window and get the same successor back.
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? b : a, WEB, original)));
  expect(statusCounts(answers)).toEqual({ 200: 20 });
  const successors = new Set(answers.map((x) => x.body.refresh_token as string));
  expect(successors.size).toBe(1);
  const [successor] = [...successors] as [string];
  expect(successor).toMatch(/^tsr_/);
  expect(successor).not.toBe(original);

  // The successor is the family's one live token: it works once, on either process.
  const next = await refresh(a, WEB, successor);
  expect(next.status).toBe(200);
  // Its predecessor again, now that the successor has been used: reuse (RFC 9700 §4.14.2), seen by the other process.
  expect((await refresh(b, WEB, original)).body).toMatchObject({ error: 'invalid_grant' });
  // The family is revoked everywhere: its live token and every access token issued from it.
  expect((await refresh(a, WEB, next.body.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant' });
  const accessTokens = [first, ...answers, next].map((x) => x.body.access_token as string);
  const checks = await introspectEach([b, a], WEB, accessTokens);
  expect(checks.map((c) => c.body)).toEqual(accessTokens.map(() => ({ active: false })));
});

test('a per-client rate limit allows exactly its allowance across both processes', async () => {
  const [a, b] = servers as [RunningServer, RunningServer];
  const answers = await Promise.all(Array.from({ length: ALLOWANCE + 15 }, (_, i) => clientCredentials(i % 2 ? b : a, METERED)));
  expect(statusCounts(answers)).toEqual({ 200: ALLOWANCE, 429: 15 });
  for (const refused of answers.filter((x) => x.status === 429)) {
    expect(refused.body.error).toBe('too_many_requests');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  }
});

test('slots moving between primaries under traffic (resharding): never a 500, and the moved data is still there', async () => {
  // Fresh processes without the small rate limit: the traffic here and below is hundreds of token requests.
  await stopAll();
  const env = { ...common, TESSERA_RATE_LIMIT_CLIENT: '100000/60' };
  // One at a time into the list that afterAll stops: a second start that fails must not leave the first running.
  servers.push(await startServer(env, 30_000));
  servers.push(await startServer(env, 30_000));

  const traffic = startTraffic(servers, TRAFFIC);
  await untilRevoked(traffic, 20);
  const [from, to] = await cluster!.primaries();
  const startedAt = Date.now();
  // redis-cli moves the slots one by one with MIGRATE: keys of a slot in flight answer ASK, and scripts over several of its keys TRYAGAIN.
  await cluster!.reshard(from!.id, to!.id, 2_000);
  const reshardMs = Date.now() - startedAt;
  await cluster!.waitHealthy(30_000);
  await new Promise((r) => setTimeout(r, 2_000));
  await traffic.stop();

  const after = await cluster!.primaries();
  const recovery = recoveryOf(traffic, startedAt);
  console.log(`cluster reshard of 2000 slots: ${JSON.stringify({
    answers: traffic.answers.length, statuses: statusCounts(traffic.answers), reshardMs, failures: recovery.failures.length,
    slots: after.map((p) => p.slots),
  })}`);
  expect(after.find((p) => p.id === to!.id)!.slots).toBe(to!.slots + 2_000);
  // 200, or 503 temporarily_unavailable where a command met a slot in flight; never anything else.
  const bad = traffic.answers.filter((x) => x.status !== 200 && !isUnavailable(x));
  expect(bad.map((x) => `${x.kind}@${x.server}: ${x.status} ${JSON.stringify(x.body)}`)).toEqual([]);
  expect(traffic.breaches).toEqual([]);
  expect(traffic.answers.filter((x) => x.at > startedAt + reshardMs && x.status === 200).length).toBeGreaterThan(10);
  // Every revocation acknowledged, whichever slot it moved to, is in force.
  const { answers: checks, retried } = await introspectAskingAgain(traffic.revoked.map(({ token }) => token));
  console.log(`after the reshard: ${checks.length} revoked tokens introspected, ${retried} answer(s) asked again after a 503`);
  expect(checks.filter((c) => c.status !== 200 || c.body.active !== false).map((c) => c.body)).toEqual([]);
}, 180_000);

/**
 * introspectEach() over the running servers, asking again (as a client told
 * 503 temporarily_unavailable with Retry-After would) for an answer that
 * was one, every 500 ms, ten times at most: right after the last slot has
 * moved a server's cluster connection may meet a node still settling, and a
 * fresh-clone run once saw two such answers among the checks. Any other
 * answer, and a 503 still there after the ten, stands.
 */
async function introspectAskingAgain(tokens: readonly string[]): Promise<{ answers: Answer[]; retried: number }> {
  const answers = await introspectEach(servers, TRAFFIC, tokens);
  let retried = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    const pending = answers.flatMap((a, i) => (isUnavailable(a) ? [i] : []));
    if (pending.length === 0) break;
    retried += pending.length;
    await new Promise((r) => setTimeout(r, 500));
    const again = await introspectEach(servers, TRAFFIC, pending.map((i) => tokens[i]!));
    pending.forEach((i, k) => { answers[i] = again[k]!; });
  }
  return { answers, retried };
}

test('when a primary dies, requests answer 503 (never 500) until its replica takes over, then service resumes; acknowledged revocations survive', async () => {
  const traffic = startTraffic(servers, TRAFFIC);
  await untilRevoked(traffic, 20);
  const [victim] = await cluster!.primaries();
  const node = cluster!.nodes.find((n) => n.port === victim!.port)!;
  const killedAt = Date.now();
  await node.process.kill();
  // The replica is promoted after cluster-node-timeout (2 s) and a vote; the cluster is whole again once every slot is served.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await cluster!.primaries().catch(() => []);
    if (now.length === 3 && !now.some((p) => p.port === victim!.port) && now.every((p) => p.slots > 0)) break;
    if (Date.now() > deadline) throw new Error(`no replica took over from ${victim!.port}: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await cluster!.waitHealthy(30_000);
  const healedMs = Date.now() - killedAt;
  // Keep going until traffic has run cleanly for a while after the heal.
  await new Promise((r) => setTimeout(r, 6_000));
  await traffic.stop();

  // Acknowledged by the time killedAt was read (the same millisecond included): untilRevoked() saw at least 20 of them.
  const before = traffic.revoked.filter((r) => r.at <= killedAt);
  const recovery = recoveryOf(traffic, killedAt);
  const log = {
    answers: traffic.answers.length, statuses: statusCounts(traffic.answers), revokedBeforeKill: before.length,
    clusterHealedMs: healedMs, firstFailureMs: recovery.firstFailureMs, lastFailureMs: recovery.lastFailureMs, serviceBackMs: recovery.backMs,
  };
  console.log(`cluster primary kill: ${JSON.stringify(log)}`);

  // Never a 500, never a hang or a dead process: 200 or 503 temporarily_unavailable only.
  const bad = traffic.answers.filter((x) => x.status !== 200 && !isUnavailable(x));
  expect(bad.map((x) => `${x.kind}@${x.server}: ${x.status} ${JSON.stringify(x.body)}`)).toEqual([]);
  for (const s of servers) expect([s.child.exitCode, s.child.signalCode]).toEqual([null, null]);
  // The crash was felt (a third of the slots lived there) and service came back by itself.
  expect(recovery.failures.length).toBeGreaterThan(0);
  expect(recovery.backMs).not.toBeNull();
  const tail = traffic.answers.filter((x) => x.at > killedAt + recovery.lastFailureMs!);
  expect(tail.length).toBeGreaterThan(20);
  expect(traffic.breaches).toEqual([]);

  // Every revocation acknowledged before the crash is still in force on the promoted replica.
  expect(before.length).toBeGreaterThanOrEqual(20);
  const checks = await introspectEach(servers, TRAFFIC, before.map(({ token }) => token));
  expect(checks.filter((c) => c.status !== 200 || c.body.active !== false).map((c) => c.body)).toEqual([]);
}, 120_000);
