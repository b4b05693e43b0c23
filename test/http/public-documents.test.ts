/**
 * The JWKS and the metadata are answered in front of Express
 * (src/http/public-documents.ts): every answer must be the one the Express
 * routes give, header by header, with the same log line and metrics. Both
 * apps run here side by side over real listeners: `h.app` (what src/main.ts
 * and every other test serve) and the routes alone (createRoutedApp).
 */
import http from 'node:http';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { createRoutedApp } from '../../src/http/app.js';
import { ask, serve, unserve, type Answer, type Served } from '../support/side-by-side.js';
import { startHarness, type Harness } from '../support/harness.js';

const JWKS = '/.well-known/jwks.json';
const METADATA = '/.well-known/oauth-authorization-server';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;



const logLines: string[] = [];
let h: Harness;
let fast: Served;
let routed: Served;
let n = 0;



/** The answer without its Date, which may tick between the two requests (its form is checked instead). */
function comparable(a: Answer): Omit<Answer, 'body'> & { body: string } {
  const date = a.headers.find(([name]) => name === 'Date');
  expect(date?.[1]).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  return { status: a.status, headers: a.headers.filter(([name]) => name !== 'Date'), body: a.body.toString('utf8') };
}

async function requestLines(requestId: string): Promise<Array<Record<string, unknown>>> {
  await new Promise((r) => setImmediate(r));
  return logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.request_id === requestId);
}

/** A request's line without what differs between any two requests (its time and latency). */
function withoutTiming(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _time, latency_ms: latency, ...rest } = line;
  expect(typeof latency).toBe('number');
  return rest;
}

/** The request counter and the latency histogram's count of one method, route and status. */
async function counted(method: string, route: string, status: number): Promise<[number, number]> {
  const requests = (await h.ctx.metrics.httpRequests.get()).values
    .find((v) => v.labels.method === method && v.labels.route === route && v.labels.status === String(status))?.value ?? 0;
  const timed = (await h.ctx.metrics.httpDuration.get()).values
    .find((v) => v.metricName === 'tessera_http_request_duration_seconds_count' && v.labels.method === method && v.labels.route === route)?.value ?? 0;
  return [requests, timed];
}

/**
 * The same request to both apps: the same answer (Date aside), the same
 * log line (time and latency aside), one more in the same metrics each;
 * and whether each went through Express's router.
 */
async function compare(method: string, path: string, headers: Record<string, string> = {}): Promise<{ fast: Answer; routed: Answer; fastRouted: boolean }> {
  const id = headers['X-Request-Id'] ?? `public-documents-${++n}`;
  const sent = { 'X-Request-Id': id, ...headers };
  const before = fast.routed.length;
  const fastAnswer = await ask(fast.port, method, path, sent);
  const [fastLine] = await requestLines(id);
  const routedBefore = routed.routed.length;
  const routedAnswer = await ask(routed.port, method, path, sent);
  const lines = await requestLines(id);
  expect(lines).toHaveLength(2);
  expect(comparable(fastAnswer)).toEqual(comparable(routedAnswer));
  expect(withoutTiming(fastLine!)).toEqual(withoutTiming(lines[1]!));
  expect(fast.routed).toHaveLength(before + 1);
  expect(routed.routed.slice(routedBefore)).toEqual([true]);
  return { fast: fastAnswer, routed: routedAnswer, fastRouted: fast.routed[before]! };
}

beforeAll(async () => {
  h = await startHarness({ logger: createLogger('debug', { write: (line: string) => { logLines.push(line); } }) });
  fast = await serve(h.app, h.config.connections);
  routed = await serve(createRoutedApp(h.ctx), h.config.connections);
});
afterAll(async () => {
  await Promise.all([fast, routed].map(unserve));
  await h.stop();
});

describe.each([['the JWKS', JWKS], ['the metadata', METADATA]])('%s, answered before Express', (_name, path) => {
  test('GET: the answer, header by header, the log line and the metrics of the Express route', async () => {
    const before = await counted('GET', path, 200);
    const { fast: answer, fastRouted } = await compare('GET', path, { 'User-Agent': 'public-documents-test/1.0' });
    expect(fastRouted).toBe(false);
    expect(answer.status).toBe(200);
    const names = answer.headers.map(([name]) => name);
    // The security headers first, then the route's own, then Node's.
    expect(names.slice(names.indexOf('X-Request-Id'))).toEqual(['X-Request-Id', 'Cache-Control', 'ETag', 'Content-Type', 'Content-Length', 'Date', 'Connection']);
    expect(names).toEqual(expect.arrayContaining(['Content-Security-Policy', 'Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options']));
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual(path === JWKS ? { keys: expect.any(Array) } : expect.objectContaining({ jwks_uri: expect.any(String) }));
    // Once for each app.
    expect(await counted('GET', path, 200)).toEqual([before[0] + 2, before[1] + 2]);
  });

  test('HEAD: the headers of GET, Content-Length included, and no body', async () => {
    const before = await counted('HEAD', path, 200);
    const { fast: head, fastRouted } = await compare('HEAD', path);
    expect(fastRouted).toBe(false);
    const get = await ask(fast.port, 'GET', path);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers.find(([name]) => name === 'Content-Length')?.[1]).toBe(String(get.body.length));
    expect(await counted('HEAD', path, 200)).toEqual([before[0] + 2, before[1] + 2]);
  });

  test('If-None-Match with the ETag, weak or strong, or *, is a 304 without a body; HEAD likewise', async () => {
    const etag = (await ask(fast.port, 'GET', path)).headers.find(([name]) => name === 'ETag')![1];
    const before = await counted('GET', path, 304);
    for (const validator of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const { fast: answer, fastRouted } = await compare('GET', path, { 'If-None-Match': validator });
      expect([validator, fastRouted, answer.status, answer.body.length]).toEqual([validator, false, 304, 0]);
      expect(answer.headers.map(([name]) => name)).not.toContain('Content-Length');
    }
    expect(await counted('GET', path, 304)).toEqual([before[0] + 8, before[1] + 8]);
    const head = await compare('HEAD', path, { 'If-None-Match': etag });
    expect(head.fast.status).toBe(304);
  });

  test('If-None-Match with another ETag, or with Cache-Control: no-cache, is a full 200', async () => {
    const etag = (await ask(fast.port, 'GET', path)).headers.find(([name]) => name === 'ETag')![1];
    const cases: Array<Record<string, string>> = [{ 'If-None-Match': '"not-this-one"' }, { 'If-None-Match': etag, 'Cache-Control': 'no-cache' }, { 'If-Modified-Since': new Date().toUTCString() }];
    for (const headers of cases) {
      const { fast: answer, fastRouted } = await compare('GET', path, headers);
      expect([headers, fastRouted, answer.status, answer.body.length > 0]).toEqual([headers, false, 200, true]);
    }
  });

  test('a query is ignored, as the Express route ignores it', async () => {
    const { fast: answer, fastRouted } = await compare('GET', `${path}?access_token=x&a=b`);
    expect([fastRouted, answer.status]).toEqual([false, 200]);
  });

  test('without a sane X-Request-Id, each answer carries a new one', async () => {
    const answers = [];
    for (const given of [undefined, 'not sane!']) {
      const a = await ask(fast.port, 'GET', path, given ? { 'X-Request-Id': given } : {});
      expect(a.status).toBe(200);
      answers.push(a.headers.find(([name]) => name === 'X-Request-Id')![1]);
    }
    for (const id of answers) expect(id).toMatch(UUID);
    expect(answers[0]).not.toBe(answers[1]);
  });

  test.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('%s goes to Express: 405 with Allow, as before', async (method) => {
    const { fast: answer, fastRouted } = await compare(method, path);
    expect([fastRouted, answer.status]).toEqual([true, 405]);
    expect(answer.headers.find(([name]) => name === 'Allow')?.[1]).toBe('GET, HEAD');
  });

  test('the variants Express also matches (trailing slash, letter case) go to Express and get its answer', async () => {
    for (const variant of [`${path}/`, path.toUpperCase(), `${path}#x`]) {
      const { fast: answer, fastRouted } = await compare('GET', variant);
      expect([variant, fastRouted, answer.status]).toEqual([variant, true, 200]);
    }
  });
});

test('another path, even a prefix of a document, goes to Express', async () => {
  for (const path of ['/.well-known/jwks', '/.well-known/jwks.jsonx', '/healthz']) {
    const { fastRouted } = await compare('GET', path);
    expect([path, fastRouted]).toEqual([path, true]);
  }
});

test('a key rotation is in the next JWKS answer: new body and ETag, the old ETag no longer a 304', async () => {
  const first = await compare('GET', JWKS);
  const oldEtag = first.fast.headers.find(([name]) => name === 'ETag')![1];
  const rotated = await request(h.app).post('/admin/v1/keys/rotate').set('Authorization', `Bearer ${await h.adminToken()}`);
  expect(rotated.status).toBe(200);

  const after = await compare('GET', JWKS, { 'If-None-Match': oldEtag });
  expect([after.fastRouted, after.fast.status]).toEqual([false, 200]);
  const newEtag = after.fast.headers.find(([name]) => name === 'ETag')![1];
  expect(newEtag).not.toBe(oldEtag);
  expect(after.fast.body.toString('utf8')).toBe(h.ctx.keys.jwks().body);
  const kids = (JSON.parse(after.fast.body.toString('utf8')) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  expect(kids).toContain(rotated.body.active);
  expect(kids).toContain(h.ctx.keys.signingKey().kid);
  expect((await compare('GET', JWKS, { 'If-None-Match': newEtag })).fast.status).toBe(304);
});

test('an answer the drain (SIGTERM) marked Connection: close before it began closes its connection, as the Express route\'s does', async () => {
  const answers: Answer[] = [];
  for (const app of [h.app, createRoutedApp(h.ctx)]) {
    const served = await serve(app, h.config.connections);
    // What graceful-stop.ts does to a request that comes in while its listener drains.
    served.server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
    try {
      answers.push(await ask(served.port, 'GET', JWKS, { 'X-Request-Id': 'draining', Connection: 'keep-alive' }));
    } finally {
      await unserve(served);
    }
  }
  expect(answers.map((a) => a.headers.find(([name]) => name === 'Connection')?.[1])).toEqual(['close', 'close']);
  expect(answers.map((a) => a.headers.map(([name]) => name).indexOf('Connection'))).toEqual([0, 0]);
  expect(comparable(answers[0]!)).toEqual(comparable(answers[1]!));
});

describe('behind a trusted proxy', () => {
  let proxied: Harness;
  const lines: string[] = [];
  beforeAll(async () => {
    proxied = await startHarness({ env: { TESSERA_TRUST_PROXY: 'loopback' }, logger: createLogger('info', { write: (l: string) => { lines.push(l); } }) });
  });
  afterAll(async () => { await proxied.stop(); });

  test("the log line names the forwarded address, as the Express route's does", async () => {
    const ips: unknown[] = [];
    for (const app of [proxied.app, createRoutedApp(proxied.ctx)]) {
      const id = `proxied-${ips.length}`;
      const res = await request(app).get(JWKS).set('X-Request-Id', id).set('X-Forwarded-For', '203.0.113.7');
      expect(res.status).toBe(200);
      await new Promise((r) => setImmediate(r));
      ips.push(lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === id)?.ip);
    }
    expect(ips).toEqual(['203.0.113.7', '203.0.113.7']);
  });
});
