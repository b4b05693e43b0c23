/**
 * Slow and idle connections are let go: real sockets against Tessera's
 * listener (src/http/http-server.ts) with small limits set through the
 * TESSERA_* variables, so that each case takes about a second.
 */
import type http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/config.js';
import { checkingIntervalMs, createHttpServer } from '../../src/http/http-server.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/process.js';

const LIMITS = {
  TESSERA_HEADERS_TIMEOUT: '400',
  TESSERA_REQUEST_TIMEOUT: '1000',
  TESSERA_KEEP_ALIVE_TIMEOUT: '300',
  TESSERA_MAX_CONNECTIONS: '3',
  TESSERA_MAX_HEADERS_COUNT: '20',
  TESSERA_MAX_HEADER_SIZE: '4096',
};

let h: Harness;
let server: http.Server;
let port: number;

beforeAll(async () => {
  h = await startHarness({ env: LIMITS });
  server = createHttpServer(h.config.connections, h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.stop();
});

interface Conn {
  socket: net.Socket;
  /** Everything the server sent so far. */
  received: () => string;
  /** Resolves with the ms from `since` at which the server closed the connection. */
  closed: Promise<number>;
}

async function connect(to = port): Promise<Conn> {
  const socket = net.connect(to, '127.0.0.1');
  socket.setNoDelay(true);
  let data = '';
  socket.on('data', (d) => { data += d.toString('latin1'); });
  socket.on('error', () => undefined);
  const start = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - start)));
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return { socket, received: () => data, closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3_000, refresh?: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  await refresh?.();
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
    await refresh?.();
  }
}

/** Writes `chunks` one every `everyMs` while the socket is open; resolves with how many were written. */
async function trickle(c: Conn, chunks: string[], everyMs: number): Promise<number> {
  let sent = 0;
  for (const chunk of chunks) {
    if (c.socket.destroyed || c.socket.writableEnded || c.socket.readableEnded) break;
    c.socket.write(chunk);
    sent++;
    await sleep(everyMs);
  }
  return sent;
}

test('the defaults suit a token server: headers 10 s, request 30 s, keep-alive 5 s, checked every second', () => {
  const c = loadConfig({}).connections;
  expect(c).toEqual({
    headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000,
    maxConnections: 10_000, maxHeadersCount: 100, maxHeaderSize: 16_384,
  });
  expect(checkingIntervalMs(c)).toBe(1_000);
  expect(checkingIntervalMs(h.config.connections)).toBe(100);
});

test('a slowloris client (headers trickled) is answered 408 and cut off after the headers timeout', async () => {
  const c = await connect();
  const headers = ['GET /readyz HTTP/1.1\r\nHost: localhost\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: ${i}\r\n`)];
  const sent = await trickle(c, headers, 50);
  const closedAfter = await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  // 400 ms of headers timeout plus at most one check interval (100 ms), with room for a loaded machine.
  expect(closedAfter).toBeGreaterThanOrEqual(380);
  expect(closedAfter).toBeLessThan(1_500);
  expect(sent).toBeLessThan(headers.length);
});

test('a slow body is answered 408 and cut off after the request timeout', async () => {
  const c = await connect();
  const body = 'grant_type=client_credentials&scope=' + 'a'.repeat(60);
  c.socket.write(`POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`);
  const sent = await trickle(c, body.split(''), 50);
  const closedAfter = await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  expect(closedAfter).toBeGreaterThanOrEqual(950);
  expect(closedAfter).toBeLessThan(2_500);
  expect(sent).toBeLessThan(body.length);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const c = await connect();
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await until(() => /\r\n\r\n/.test(c.received()));
  const answeredAt = Date.now();
  expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
  // The answer advertises the timeout (Keep-Alive: timeout=<seconds>); Node closes the socket up to a second
  // after it (its buffer for clients that reuse the connection at the last moment).
  expect(c.received()).toMatch(/\r\nKeep-Alive: timeout=\d+\r\n/i);
  await c.closed;
  const idle = Date.now() - answeredAt;
  expect(idle).toBeGreaterThanOrEqual(250);
  expect(idle).toBeLessThan(2_500);
});

test('connections beyond the maximum are closed at once; a freed place is taken again', async () => {
  const held = await Promise.all([connect(), connect(), connect()]);
  for (const c of held) c.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await until(() => held.every((c) => /^HTTP\/1\.1 200 /.test(c.received())));
  const extra = await connect();
  extra.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  expect(await extra.closed).toBeLessThan(1_000);
  expect(extra.received()).toBe('');

  let open = 3;
  held[0]!.socket.destroy();
  await held[0]!.closed;
  await until(() => open < 3, 2_000, async () => { open = await new Promise<number>((r) => server.getConnections((_e, n) => r(n))); });
  const again = await connect();
  again.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  await again.closed;
  expect(again.received()).toMatch(/^HTTP\/1\.1 200 /);
  for (const c of held.slice(1)) c.socket.destroy();
});

test('more header fields than allowed: 431 and the connection closed; a header section too large: 431', async () => {
  const many = await connect();
  const fields = Array.from({ length: 21 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
  many.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n${fields}\r\n`);
  await many.closed;
  expect(many.received()).toMatch(/^HTTP\/1\.1 431 /);
  // Node 20 parses the fields past the limit and the listener refuses them; Node 22's parser refuses them itself.
  expect(many.received()).toMatch(/\r\nConnection: close\r\n(.*\r\n)*\r\n\{"error":"invalid_request","error_description":"too many header fields(, or header fields too large)?"\}$/);

  const within = await connect();
  within.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${Array.from({ length: 17 }, (_, i) => `X-F-${i}: ${i}\r\n`).join('')}\r\n`);
  await within.closed;
  expect(within.received()).toMatch(/^HTTP\/1\.1 200 /);

  const large = await connect();
  large.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Large: ${'x'.repeat(5_000)}\r\n\r\n`);
  await large.closed;
  expect(large.received()).toMatch(/^HTTP\/1\.1 431 /);
  expect(large.received()).toMatch(/\r\n\r\n\{"error":"invalid_request","error_description":"too many header fields, or header fields too large"\}$/);
});

describe('npm start', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer({ ...LIMITS, TESSERA_KEYS_DIR: h.keysDir, TESSERA_BOOTSTRAP_ADMIN_SECRET: 'admin-secret-for-tests-0123456789' });
  });
  afterAll(async () => { await running?.stop(); });

  test('listens with the configured limits: a slowloris client is cut off, an idle connection closed', async () => {
    const slow = await connect(running.port);
    void trickle(slow, ['GET /readyz HTTP/1.1\r\nHost: localhost\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: ${i}\r\n`)], 50);
    expect(await slow.closed).toBeLessThan(1_500);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);

    const idle = await connect(running.port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await until(() => /\r\n\r\n/.test(idle.received()));
    expect(await idle.closed).toBeLessThan(2_500);
  });
});
