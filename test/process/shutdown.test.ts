/**
 * SIGTERM on the real process: requests in flight finish with their normal
 * answers, new connections are refused, /readyz turns 503, a request that
 * never completes does not outlive TESSERA_SHUTDOWN_TIMEOUT, the store's
 * connections are closed, and the exit code is 0.
 *
 * A request is made "in flight" deterministically with `Expect: 100-continue`
 * (RFC 9110 §10.1.1): Node answers `100 Continue` only once it has parsed
 * the headers and handed the request to the app, and the body is then sent
 * in two halves around the signal.
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../support/process.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { RedisKeys, STREAM_SHARDS } from '../../src/store/redis/keys.js';

const ADMIN_SECRET = 'shutdown-test-admin-secret-0123456789';
const BASIC = `Basic ${Buffer.from(`tessera-admin:${ADMIN_SECRET}`).toString('base64')}`;
const TOKEN_BODY = 'grant_type=client_credentials&scope=tessera%3Aadmin';

/** One raw HTTP/1.1 connection: everything the server sent, and whether it closed. */
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

  async connected(): Promise<void> {
    if (!this.socket.connecting) return;
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** Waits until what was received matches `pattern`, at most `ms`. */
  async waitFor(pattern: RegExp, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!pattern.test(this.received)) {
      if (Date.now() > until) throw new Error(`no ${pattern} within ${ms} ms; received: ${JSON.stringify(this.received)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The last complete (non-100) answer: status, headers (lower-case names) and body, once all Content-Length bytes are in. */
  async answer(ms = 10_000): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    await this.waitFor(/HTTP\/1\.1 [2-5]\d\d [^\r]*\r\n[\s\S]*?\r\n\r\n/, ms);
    const start = this.received.search(/HTTP\/1\.1 [2-5]\d\d /);
    const text = this.received.slice(start);
    const headEnd = text.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    await this.waitFor(new RegExp(`\\r\\n\\r\\n[\\s\\S]{${length}}$`), ms);
    return { status: Number(statusLine!.split(' ')[1]), headers, body: this.received.slice(start).slice(headEnd + 4) };
  }
}

/** Starts a token request and returns once the server is working on it, with half its body still unsent. */
async function tokenRequestInFlight(port: number): Promise<{ conn: RawConnection; finish: () => void }> {
  const conn = new RawConnection(port);
  await conn.connected();
  const half = Math.floor(TOKEN_BODY.length / 2);
  conn.send(
    'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n' +
      `Authorization: ${BASIC}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${TOKEN_BODY.length}\r\n` +
      'X-Request-Id: shutdown-in-flight\r\n\r\n',
  );
  await conn.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  conn.send(TOKEN_BODY.slice(0, half));
  return { conn, finish: () => conn.send(TOKEN_BODY.slice(half)) };
}

/** True once a TCP connect to the port is refused; polls for at most `ms`. */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
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

/** Resolves with the exit code and how long after `since` the process exited. */
function exitOf(server: RunningServer, since: number): Promise<{ code: number | null; afterMs: number }> {
  return new Promise((resolve) => {
    const done = () => resolve({ code: server.child.exitCode, afterMs: Date.now() - since });
    if (server.child.exitCode !== null || server.child.signalCode !== null) done();
    else server.child.once('exit', done);
  });
}

const logLines = (server: RunningServer) =>
  server.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
const running: RunningServer[] = [];
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-shutdown-')); });
afterEach(async () => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({
    TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET, ...env,
  }, 30_000);
  running.push(server);
  return server;
}

test('after SIGTERM new connections are refused, a request in flight gets its normal answer, /readyz is 503, and the exit code is 0', async () => {
  const server = await start();
  const { conn, finish } = await tokenRequestInFlight(server.port);
  // A readiness probe whose headers are not complete yet: it is answered after the signal.
  const probe = new RawConnection(server.port);
  await probe.connected();
  probe.send('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  // A full round trip on a third connection, so the server has read the probe's first bytes.
  expect((await fetch(`${server.url}/healthz`, { headers: { Connection: 'close' } })).status).toBe(200);

  const signalled = Date.now();
  server.child.kill('SIGTERM');
  expect(await refusedWithin(server.port, 10_000)).toBe(true);
  expect(server.child.exitCode).toBeNull();

  probe.send('\r\n');
  const ready = await probe.answer();
  expect(ready.status).toBe(503);
  expect(ready.headers.connection).toBe('close');
  expect(JSON.parse(ready.body)).toEqual({ status: 'unavailable', store: 'memory', checks: { store: 'ok', keys: 'ok' } });
  await probe.closed;

  finish();
  const token = await conn.answer();
  expect(token.status).toBe(200);
  expect(token.headers.connection).toBe('close');
  expect(token.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(token.body) as Record<string, unknown>;
  expect(body).toMatchObject({ token_type: 'Bearer', scope: 'tessera:admin', expires_in: 600 });
  expect(typeof body.access_token).toBe('string');
  // The server closes the connection after the answer, and then the process ends.
  await conn.closed;
  const exit = await exitOf(server, signalled);
  expect(exit.code).toBe(0);
  expect(exit.afterMs).toBeLessThan(10_000);
  const messages = logLines(server).map((l) => l.msg);
  expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  expect(messages.some((m) => typeof m === 'string' && m.includes('cut off'))).toBe(false);
  expect(server.stderr()).toBe('');
});

test('with TESSERA_SHUTDOWN_TIMEOUT=1 a request that never completes is cut off at the deadline and the exit code is 0', async () => {
  const server = await start({ TESSERA_SHUTDOWN_TIMEOUT: '1' });
  const { conn } = await tokenRequestInFlight(server.port);
  const signalled = Date.now();
  server.child.kill('SIGTERM');
  const exit = await exitOf(server, signalled);
  expect(exit.code).toBe(0);
  // It waited for the request, and not much longer than the deadline (the store's close gets at most 2 s more).
  expect(exit.afterMs).toBeGreaterThanOrEqual(900);
  expect(exit.afterMs).toBeLessThan(6_000);
  await conn.closed;
  expect(conn.received).not.toMatch(/HTTP\/1\.1 [2-5]\d\d /);
  const cutOff = logLines(server).find((l) => typeof l.msg === 'string' && l.msg.includes('cut off'));
  expect(cutOff).toMatchObject({ level: 'warn', requests_cut_off: 1 });
});

test('an idle keep-alive connection does not delay the exit', async () => {
  const server = await start({ TESSERA_SHUTDOWN_TIMEOUT: '30' });
  const idle = new RawConnection(server.port);
  await idle.connected();
  idle.send('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  expect((await idle.answer()).status).toBe(200);
  const signalled = Date.now();
  server.child.kill('SIGTERM');
  await idle.closed;
  const exit = await exitOf(server, signalled);
  expect(exit.code).toBe(0);
  expect(exit.afterMs).toBeLessThan(10_000);
});

describe('with Redis', () => {
  let redis: OwnRedis | undefined;
  afterEach(async () => { await redis?.destroy(); redis = undefined; });

  test('the in-flight request is audited, and no connection of the server is left in Redis after the exit', async () => {
    redis = await startOwnRedis();
    const prefix = 'tessera-shutdown:';
    const server = await start({ REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: prefix });
    const check = redis.client();
    // Its connections: `tessera`, and `tessera-durable` for the writes that wait for replicas.
    const tesseraClients = async () => ((await check.call('CLIENT', 'LIST')) as string).split('\n').filter((l) => / name=tessera(-durable)? /.test(l)).length;
    expect(await tesseraClients()).toBeGreaterThan(0);

    const { conn, finish } = await tokenRequestInFlight(server.port);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await refusedWithin(server.port, 10_000)).toBe(true);
    finish();
    expect((await conn.answer()).status).toBe(200);
    const exit = await exitOf(server, signalled);
    expect(exit.code).toBe(0);

    expect(await tesseraClients()).toBe(0);
    const keys = new RedisKeys(prefix);
    const events = (await Promise.all(Array.from({ length: STREAM_SHARDS }, (_, i) => check.xrange(keys.auditShard(i), '-', '+')))).flat();
    const issued = events.map(([, fields]) => fields.join(' ')).filter((f) => f.includes('shutdown-in-flight'));
    expect(issued.length).toBeGreaterThan(0);
    expect(server.stderr()).toBe('');
  });

  test('SIGTERM while Redis is down still exits 0 promptly', async () => {
    redis = await startOwnRedis();
    const server = await start({ REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: 'tessera-shutdown-down:' });
    await redis.stop();
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST', headers: { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' }, body: TOKEN_BODY,
    });
    expect(res.status).toBe(503);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const exit = await exitOf(server, signalled);
    expect(exit.code).toBe(0);
    expect(exit.afterMs).toBeLessThan(8_000);
    expect(server.stderr()).toBe('');
  });
});
