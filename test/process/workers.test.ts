/**
 * TESSERA_WORKERS on the real process: one port served by several worker
 * processes (node:cluster) that share the keys and Redis; the first admin
 * created and its secret printed once; one listening line; a scrape answered
 * with the sum over the workers; SIGTERM drains every worker (requests in
 * flight get their answers) and exits 0; a worker that dies is replaced;
 * the in-memory store is refused.
 *
 * Requests in flight are made deterministic as in shutdown.test.ts: with
 * `Expect: 100-continue` (RFC 9110 §10.1.1) a worker has the request before
 * the body is complete.
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { printedAdminSecret, runToExit, startServer, type RunningServer } from '../support/process.js';
import { freePort, startOwnRedis, type OwnRedis } from '../support/redis-server.js';

const TOKEN_BODY = 'grant_type=client_credentials&scope=tessera%3Aadmin';

type LogLine = Record<string, unknown> & { msg?: string; pid?: number; worker?: number };
const logLines = (server: RunningServer): LogLine[] =>
  server.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

async function until<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One raw HTTP/1.1 connection and everything it received. */
class RawConnection {
  readonly socket: net.Socket;
  received = '';
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => (this.received += d));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((r) => this.socket.once('close', () => r()));
  }

  waitFor(pattern: RegExp): Promise<true> {
    return until(`${pattern} in ${JSON.stringify(this.received)}`, () => pattern.test(this.received), 10_000);
  }
}

/** A token request that a worker is working on, half its body still unsent. */
async function tokenRequestInFlight(port: number, basic: string, requestId: string): Promise<{ conn: RawConnection; finish: () => void }> {
  const conn = new RawConnection(port);
  const half = Math.floor(TOKEN_BODY.length / 2);
  conn.socket.write(
    'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n' +
      `Authorization: ${basic}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${TOKEN_BODY.length}\r\n` +
      `X-Request-Id: ${requestId}\r\n\r\n`,
  );
  await conn.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  conn.socket.write(TOKEN_BODY.slice(0, half));
  return { conn, finish: () => conn.socket.write(TOKEN_BODY.slice(half)) };
}

function exitOf(server: RunningServer): Promise<number | null> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) resolve(server.child.exitCode);
    else server.child.once('exit', (code) => resolve(code));
  });
}

/** True once a TCP connect to the port is refused. */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(false); });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** The value of one series in a text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Two workers start one after the other: on a loaded machine a start alone can take tens of seconds. */
let dir: string;
let redis: OwnRedis;
const running: RunningServer[] = [];
beforeAll(async () => {
  await ensureBuilt('dist/main.js');
  redis = await startOwnRedis();
}, 180_000);
afterAll(async () => { await redis.destroy(); });
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-workers-')); });
afterEach(async () => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function startWorkers(prefix: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; basic: string }> {
  const server = await startServer({
    TESSERA_WORKERS: '2', REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: prefix, TESSERA_KEYS_DIR: path.join(dir, 'keys'), ...env,
  }, 60_000);
  running.push(server);
  const secret = printedAdminSecret(server.stdout());
  expect(secret).not.toBeNull();
  return { server, basic: `Basic ${Buffer.from(`tessera-admin:${secret}`).toString('base64')}` };
}

const tokenRequest = (server: RunningServer, basic: string) => fetch(`${server.url}/oauth/token`, {
  method: 'POST',
  headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded', Connection: 'close' },
  body: TOKEN_BODY,
});

test('TESSERA_WORKERS=2 serves one port from two processes; the admin secret, the listening line and the warnings come once; a scrape sums both', async () => {
  const { server, basic } = await startWorkers('tessera-workers-serve:');
  const out = server.stdout();
  expect(out.match(/client_secret: /g)).toHaveLength(1);
  const lines = logLines(server);
  const listening = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('tessera listening'));
  expect(listening).toHaveLength(1);
  expect(listening[0]).toMatchObject({ level: 'info', port: server.port, store: 'redis', workers: 2 });
  expect(listening[0]!.pid).toBeUndefined();
  expect(lines.filter((l) => l.msg === 'created the first admin client')).toHaveLength(1);
  expect(lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('GET /metrics is open'))).toHaveLength(1);
  const ready = lines.filter((l) => l.msg === 'worker ready');
  expect(ready.map((l) => l.worker).sort()).toEqual([1, 2]);
  const workerPids = new Set(ready.map((l) => l.pid));
  expect(workerPids.size).toBe(2);
  expect(workerPids.has(server.child.pid)).toBe(false);

  for (let i = 0; i < 8; i++) {
    const res = await tokenRequest(server, basic);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', scope: 'tessera:admin' });
  }
  // Each new connection goes to the next worker (node:cluster's round robin): both answered.
  const answeredBy = await until('request lines', () => {
    const requests = logLines(server).filter((l) => l.msg === 'request' && l.route === 'POST /oauth/token');
    return requests.length === 8 && new Set(requests.map((l) => l.pid));
  });
  expect(answeredBy).toEqual(workerPids);

  // Whichever worker the scrape reaches, it shows the sum over both.
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${server.url}/metrics`, { headers: { Connection: 'close' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(sample(text, 'tessera_http_requests_total{method="POST",route="/oauth/token",status="200"}')).toBe(8);
    expect(sample(text, 'tessera_tokens_issued_total{grant_type="client_credentials",client_id="tessera-admin"}')).toBe(8);
    expect(sample(text, 'tessera_workers')).toBe(2);
    expect(sample(text, 'tessera_worker_restarts_total')).toBe(0);
    // Read alike by every worker: not doubled.
    expect(sample(text, 'tessera_signing_keys{state="active"}')).toBe(1);
    expect(sample(text, 'tessera_store_up')).toBe(1);
  }
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).toBe('');
}, 120_000);

test('SIGTERM drains every worker: requests in flight on both get their answers, new connections are refused, and the exit code is 0', async () => {
  const { server, basic } = await startWorkers('tessera-workers-drain:');
  const first = await tokenRequestInFlight(server.port, basic, 'drain-one');
  const second = await tokenRequestInFlight(server.port, basic, 'drain-two');
  server.child.kill('SIGTERM');
  expect(await refusedWithin(server.port, 10_000)).toBe(true);
  expect(server.child.exitCode).toBeNull();

  for (const { conn, finish } of [first, second]) {
    finish();
    await conn.waitFor(/HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\{[\s\S]*"access_token"[\s\S]*\}$/);
    expect(conn.received).toMatch(/\r\nConnection: close\r\n/i);
    await conn.closed;
  }
  expect(await exitOf(server)).toBe(0);
  const lines = logLines(server);
  // The two requests were on the two workers (round robin), and each worker drained.
  const answered = ['drain-one', 'drain-two'].map((id) => lines.find((l) => l.msg === 'request' && l.request_id === id));
  expect(answered.map((l) => l?.status)).toEqual([200, 200]);
  expect(new Set(answered.map((l) => l?.pid)).size).toBe(2);
  expect(lines.filter((l) => l.msg === 'shutting down')).toHaveLength(3);
  expect(lines.filter((l) => l.msg === 'stopped')).toHaveLength(3);
  expect(lines.some((l) => typeof l.msg === 'string' && l.msg.includes('cut off'))).toBe(false);
  // The primary's own "stopped" is the last line.
  expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
  expect(lines.at(-1)!.pid).toBeUndefined();
  expect(server.stderr()).toBe('');
}, 120_000);

test('a worker that dies is replaced, and the port keeps being served', async () => {
  const { server, basic } = await startWorkers('tessera-workers-restart:');
  const ready = logLines(server).filter((l) => l.msg === 'worker ready');
  const victim = ready[0]!;
  process.kill(victim.pid!, 'SIGKILL');

  const died = await until('the restart line', () => logLines(server).find((l) => typeof l.msg === 'string' && l.msg.includes('exited unexpectedly')));
  expect(died).toMatchObject({ level: 'error', worker: victim.worker, pid: victim.pid, exit_code: null, signal: 'SIGKILL', restart_in_ms: 250 });
  const replacement = await until('a third worker', () => logLines(server).find((l) => l.msg === 'worker ready' && l.worker === 3));
  expect(ready.map((l) => l.pid)).not.toContain(replacement.pid);

  for (let i = 0; i < 4; i++) expect((await tokenRequest(server, basic)).status).toBe(200);
  const text = await (await fetch(`${server.url}/metrics`, { headers: { Connection: 'close' } })).text();
  expect(sample(text, 'tessera_workers')).toBe(2);
  expect(sample(text, 'tessera_worker_restarts_total')).toBe(1);
  // The replacement did not print a secret or announce the server again.
  expect(server.stdout().match(/client_secret: /g)).toHaveLength(1);
  expect(logLines(server).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('tessera listening'))).toHaveLength(1);
  expect(await server.stop()).toBe(0);
}, 120_000);

test('more than one worker with the in-memory store is refused at start with exit code 2', async () => {
  const result = await runToExit({ TESSERA_WORKERS: '2', TESSERA_KEYS_DIR: path.join(dir, 'keys') });
  expect(result.code).toBe(2);
  expect(result.stderr).toBe(
    'tessera: TESSERA_WORKERS: 2 needs Redis (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS): ' +
      'with the in-memory store each worker would have its own clients, tokens and revocations\n',
  );
  expect(result.stdout).toBe('');
}, 120_000);

test('a worker that cannot start stops the whole start, with its exit code and its reason said once', async () => {
  const nobody = `redis://127.0.0.1:${await freePort()}`;
  const result = await runToExit({ TESSERA_WORKERS: '2', REDIS_URL: nobody, TESSERA_KEYS_DIR: path.join(dir, 'keys') }, 60_000);
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(new RegExp(`^tessera: cannot connect to Redis at ${nobody}`))]);
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  expect(lines.find((l) => l.msg === 'a worker could not start; stopping')).toMatchObject({ level: 'error', worker: 1, exit_code: 2 });
  // The second worker is started only once the first serves.
  expect(lines.some((l) => l.worker === 2)).toBe(false);
  expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('tessera listening'))).toBe(false);
}, 90_000);
