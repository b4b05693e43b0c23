/**
 * Token and introspection requests are answered in front of Express
 * (src/http/form-endpoints-first.ts): every answer must be the one the
 * Express routes give, header by header, with the same log line, metrics
 * and request context. Both apps run here side by side over real listeners:
 * `h.app` (what src/main.ts and every other test serve) and the routes alone
 * (createRoutedApp), on one store: each case asks the fronted app first,
 * then the routed one, the same request.
 */
import http from 'node:http';
import net from 'node:net';
import { jest } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { createRoutedApp } from '../../src/http/app.js';
import { requestContext, type RequestContext } from '../../src/core/audit.js';
import { ask, serve, unserve, type Answer, type Headers, type Served } from '../support/side-by-side.js';
import { ISSUER, startHarness, type Harness } from '../support/harness.js';
import { dpopKey, proof } from '../support/dpop.js';

const TOKEN = '/oauth/token';
const INTROSPECT = '/oauth/introspect';
const FORM = 'application/x-www-form-urlencoded';
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// A clock that stands still: tokens' iat/exp, the windows' `t` and Retry-After are the same for both apps.
const clock = Date.now();



/** A harness with both apps listening, its log lines, and the request context each audit event was recorded in. */
interface Pair {
  h: Harness;
  fast: Served;
  routed: Served;
  lines: string[];
  audited: Array<{ type: string; context: RequestContext | undefined }>;
}


let n = 0;


async function pair(env: Record<string, string> = {}): Promise<Pair> {
  const lines: string[] = [];
  const h = await startHarness({ now: () => clock, env, logger: createLogger('debug', { write: (line: string) => { lines.push(line); } }) });
  const audited: Pair['audited'] = [];
  const record = h.audit.record.bind(h.audit);
  jest.spyOn(h.audit, 'record').mockImplementation((event) => {
    const context = requestContext.getStore();
    audited.push({ type: event.type, context: context && { ...context, limits: undefined } });
    record(event);
  });
  return { h, lines, audited, fast: await serve(h.app, h.config.connections), routed: await serve(createRoutedApp(h.ctx), h.config.connections) };
}

async function unpair(p: Pair): Promise<void> {
  await Promise.all([p.fast, p.routed].map(unserve));
  await p.h.stop().catch(() => undefined);
}


const header = (a: Answer, name: string) => a.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** A JWT's header and claims without its jti and times (its lifetime stays), to compare two tokens issued alike. */
function tokenShape(token: unknown): unknown {
  expect(token).toMatch(JWT);
  const [head, payload] = (token as string).split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
  // The signer reads the system clock, not the harness's: the second may tick between the two issuances.
  const { jti, iat, exp, ...claims } = payload!;
  expect(jti).toEqual(expect.any(String));
  expect(typeof iat).toBe('number');
  return { header: head, claims, lifetime: (exp as number) - (iat as number) };
}

/**
 * The answer without what differs between any two requests: the Date (its
 * form is checked), the remaining count of a rate limit both apps draw on
 * (`r=` and `t=`, unless `exact`), and a new access token's jti (the token's header
 * and other claims stay, and the body's length is checked against
 * Content-Length).
 */
function comparable(a: Answer, exact: boolean): { status: number; headers: Array<[string, string]>; body: unknown } {
  expect(header(a, 'Date')).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  const text = a.body.toString('utf8');
  let body: unknown = text;
  const length = header(a, 'Content-Length');
  if (length !== undefined) expect(Number(length)).toBe(a.body.length);
  let headers = a.headers.filter(([name]) => name !== 'Date');
  if (header(a, 'Content-Type')?.startsWith('application/json')) {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (typeof json.access_token === 'string') {
      json.access_token = tokenShape(json.access_token);
      headers = headers.filter(([name]) => name !== 'Content-Length');
    }
    body = json;
  }
  if (!exact) headers = headers.map(([name, value]) => [name, name === 'RateLimit' ? value.replace(/;r=\d+;t=\d+/g, ';r=N;t=N') : value]);
  return { status: a.status, headers, body };
}

async function requestLines(p: Pair, requestId: string, expected = 2): Promise<Array<Record<string, unknown>>> {
  // Written on the answer's 'close', which may come just after the caller has read it.
  for (let tries = 0; ; tries++) {
    await new Promise((r) => setImmediate(r));
    const lines = p.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.request_id === requestId);
    if (lines.length >= expected || tries === 50) return lines;
  }
}

/** A request's line without its time and latency, and with the shape of a token id that differs between two issuances. */
function lineShape(line: Record<string, unknown>, newToken: boolean): Record<string, unknown> {
  const { time: _time, latency_ms: latency, ...rest } = line;
  expect(typeof latency).toBe('number');
  if (newToken) {
    expect(rest.token_id).toEqual(expect.any(String));
    expect(typeof rest.response_bytes).toBe('number');
    return { ...rest, token_id: 'issued', response_bytes: 'its length' };
  }
  return rest;
}

interface Counts {
  requests: Awaited<ReturnType<Harness['ctx']['metrics']['httpRequests']['get']>>['values'];
  timed: Awaited<ReturnType<Harness['ctx']['metrics']['httpDuration']['get']>>['values'];
  errors: Awaited<ReturnType<Harness['ctx']['metrics']['errors']['get']>>['values'];
}

async function counts(p: Pair): Promise<Counts> {
  const m = p.h.ctx.metrics;
  // Copied: a counter's values are its live entries.
  return structuredClone({ requests: (await m.httpRequests.get()).values, timed: (await m.httpDuration.get()).values, errors: (await m.errors.get()).values });
}

/** The request counter, the latency histogram's count and the error counter of one method, route, status and error code. */
function counted(c: Counts, method: string, route: string, status: number, code: string | undefined): number[] {
  const requests = c.requests.find((v) => v.labels.method === method && v.labels.route === route && v.labels.status === String(status))?.value ?? 0;
  const timed = c.timed
    .find((v) => v.metricName === 'tessera_http_request_duration_seconds_count' && v.labels.method === method && v.labels.route === route)?.value ?? 0;
  const errors = code === undefined ? 0 : c.errors.find((v) => v.labels.route === route && v.labels.error === code)?.value ?? 0;
  return [requests, timed, errors];
}

interface Compared {
  fast: Answer;
  routed: Answer;
  /** Whether the fronted app handed the request to Express's router. */
  fastRouted: boolean;
}

/**
 * The same request to both apps (headers made anew for each, e.g. a DPoP
 * proof): the same answer, the same log line, the same audit events in the
 * same request context, and one more in the same metrics each.
 */
async function compare(
  p: Pair, method: string, path: string, headers: Headers | (() => Promise<Headers>), body?: string | Buffer,
  options: { route?: string; exact?: boolean } = {},
): Promise<Compared> {
  const route = options.route ?? path.split('?')[0]!;
  const id = `form-endpoints-${++n}`;
  const headersFor = async () => ({ 'X-Request-Id': id, 'User-Agent': 'form-endpoints-test/1.0', ...(typeof headers === 'function' ? await headers() : headers) });
  const answers: Answer[] = [];
  const audits: Array<Pair['audited']> = [];
  const before = await counts(p);
  let fastRouted = false;
  for (const served of [p.fast, p.routed]) {
    const sent = await headersFor();
    const routedBefore = served.routed.length;
    const auditedBefore = p.audited.length;
    answers.push(await ask(served.port, method, path, sent, body));
    await requestLines(p, id, served === p.fast ? 1 : 2);
    await p.h.flushAudit();
    audits.push(p.audited.slice(auditedBefore).map((a) => ({ ...a, context: a.context && { ...a.context, tokenId: a.context.tokenId && 'a token id' } })));
    expect(served.routed).toHaveLength(routedBefore + 1);
    if (served === p.fast) fastRouted = served.routed[routedBefore]!;
    else expect(served.routed[routedBefore]).toBe(true);
  }
  const [fast, routed] = answers as [Answer, Answer];
  const exact = options.exact ?? false;
  expect(comparable(fast, exact)).toEqual(comparable(routed, exact));
  const lines = await requestLines(p, id);
  expect(lines).toHaveLength(2);
  const issued = typeof (comparable(fast, true).body as { access_token?: unknown }).access_token === 'object';
  expect(lineShape(lines[0]!, issued)).toEqual(lineShape(lines[1]!, issued));
  expect(audits[0]).toEqual(audits[1]);
  // The context's route is the request's path, as requestFrame builds it.
  for (const { context } of audits[0]!) expect(context).toMatchObject({ requestId: id, userAgent: 'form-endpoints-test/1.0', route: `${method} ${path.split('?')[0]}` });
  // Each answer counted once, under the route's pattern, with its error code.
  const code = errorCode(fast);
  const [requests, timed, errors] = counted(before, method, route, fast.status, code);
  expect(counted(await counts(p), method, route, fast.status, code)).toEqual([requests! + 2, timed! + 2, errors! + (code === undefined ? 0 : 2)]);
  return { fast, routed, fastRouted };
}

function errorCode(a: Answer): string | undefined {
  if (a.status < 400 || !header(a, 'Content-Type')?.startsWith('application/json')) return undefined;
  return (JSON.parse(a.body.toString('utf8')) as { error?: string }).error;
}

const form = (params: Record<string, string> | Array<[string, string]>) => new URLSearchParams(params).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const names = (a: Answer) => a.headers.map(([name]) => name);

describe('on one store, behind a trusted proxy', () => {
  let p: Pair;
  let svc: { id: string; secret: string };
  let auth: Headers;
  beforeAll(async () => {
    p = await pair({ TESSERA_TRUST_PROXY: 'loopback' });
    const created = await p.h.ctx.clients.create({ client_id: 'svc', scopes: ['orders:read'] });
    svc = { id: 'svc', secret: created.secret! };
    auth = { Authorization: basic(svc.id, svc.secret), 'Content-Type': FORM };
  });
  afterAll(async () => { await unpair(p); });

  test('client_credentials: 200, the headers of the Express route in its order, the token, the log line and metrics', async () => {
    const { fast, fastRouted } = await compare(p, 'POST', TOKEN, { ...auth, 'X-Forwarded-For': '203.0.113.7' }, form({ grant_type: 'client_credentials', scope: 'orders:read' }));
    expect([fastRouted, fast.status]).toEqual([false, 200]);
    const list = names(fast);
    expect(list).toEqual(expect.arrayContaining(['Content-Security-Policy', 'Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options']));
    expect(list.slice(list.indexOf('X-Request-Id'), list.indexOf('Date')))
      .toEqual(['X-Request-Id', 'RateLimit-Policy', 'RateLimit', 'Cache-Control', 'Pragma', 'Content-Type', 'Content-Length']);
    expect(JSON.parse(fast.body.toString('utf8'))).toEqual({ access_token: expect.stringMatching(JWT), token_type: 'Bearer', expires_in: expect.any(Number), scope: 'orders:read' });
    const line = (await requestLines(p, header(fast, 'X-Request-Id')!))[0]!;
    // The forwarded address (proxy-addr under `trust proxy`), and the client and token the core put in the request context.
    expect(line).toMatchObject({ ip: '203.0.113.7', client_id: 'svc', token_id: expect.any(String), route: 'POST /oauth/token', status: 200 });
    // The core's audit event of the issuance, in the request's context (the routed app's is the same, compare() checked).
    expect(p.audited.filter((a) => a.context?.requestId === header(fast, 'X-Request-Id')).map((a) => a.type)).toContain('token.issued');
    expect(p.audited.find((a) => a.type === 'token.issued' && a.context?.requestId === header(fast, 'X-Request-Id'))?.context)
      .toMatchObject({ ip: '203.0.113.7', userAgent: 'form-endpoints-test/1.0', route: 'POST /oauth/token', clientId: 'svc' });
  });

  test('introspection of an active JWT, of an inactive token, and without the token', async () => {
    const token = await p.h.clientToken(svc.id, svc.secret);
    const active = await compare(p, 'POST', INTROSPECT, auth, form({ token, route: 'GET /orders', scope: 'orders:read' }));
    expect([active.fastRouted, active.fast.status]).toEqual([false, 200]);
    expect(JSON.parse(active.fast.body.toString('utf8'))).toMatchObject({ active: true, client_id: 'svc' });
    const list = names(active.fast);
    expect(list.slice(list.indexOf('X-Request-Id'), list.indexOf('Date'))).toEqual(['X-Request-Id', 'Cache-Control', 'Pragma', 'Content-Type', 'Content-Length']);
    const inactive = await compare(p, 'POST', INTROSPECT, auth, form({ token: 'not-a-token' }));
    expect([inactive.fastRouted, inactive.fast.status, inactive.fast.body.toString('utf8')]).toEqual([false, 200, '{"active":false}']);
    const missing = await compare(p, 'POST', INTROSPECT, auth, form({ token_type_hint: 'access_token' }));
    expect([missing.fastRouted, missing.fast.status, errorCode(missing.fast)]).toEqual([false, 400, 'invalid_request']);
    const unauthenticated = await compare(p, 'POST', INTROSPECT, { 'Content-Type': FORM }, form({ token, client_id: 'svc' }));
    expect([unauthenticated.fastRouted, unauthenticated.fast.status, errorCode(unauthenticated.fast)]).toEqual([false, 401, 'invalid_client']);
  });

  test('invalid_client with Basic: 401 with WWW-Authenticate, for a wrong secret and for malformed credentials', async () => {
    for (const authorization of [basic(svc.id, 'wrong-secret'), basic('nobody', 'x'), 'Basic !!!', 'Bearer abc']) {
      const { fast, fastRouted } = await compare(p, 'POST', TOKEN, { Authorization: authorization, 'Content-Type': FORM }, form({ grant_type: 'client_credentials' }));
      expect([authorization, fastRouted, fast.status, errorCode(fast)]).toEqual([authorization, false, 401, 'invalid_client']);
      expect(header(fast, 'WWW-Authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
    }
  });

  test('invalid_request, unsupported_grant_type, a repeated parameter, an empty body: the error mapper\'s 400s', async () => {
    const cases: Array<[string, string]> = [
      [form({ scope: 'orders:read' }), 'invalid_request'],
      [form({ grant_type: 'password-of-sorts' }), 'unsupported_grant_type'],
      [form([['grant_type', 'client_credentials'], ['scope', 'a'], ['scope', 'b']]), 'invalid_request'],
      [form([['grant_type', 'client_credentials'], ['client_secret', 'x']]), 'invalid_request'],
      ['', 'invalid_request'],
      ['%zz=%', 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const { fast, fastRouted } = await compare(p, 'POST', TOKEN, auth, body);
      expect([body, fastRouted, fast.status, errorCode(fast)]).toEqual([body, false, 400, code]);
    }
  });

  test('a DPoP request: token_type DPoP and the same DPoP-Nonce; a bad proof is the same 400', async () => {
    const key = await dpopKey();
    const headers = async () => ({ ...auth, DPoP: await proof(key, { htm: 'POST', htu: `${ISSUER}${TOKEN}`, iat: Math.floor(clock / 1000) }) });
    const { fast, fastRouted } = await compare(p, 'POST', TOKEN, headers, form({ grant_type: 'client_credentials' }));
    expect([fastRouted, fast.status, JSON.parse(fast.body.toString('utf8')).token_type]).toEqual([false, 200, 'DPoP']);
    const list = names(fast);
    expect(list.slice(list.indexOf('X-Request-Id'), list.indexOf('Date')))
      .toEqual(['X-Request-Id', 'RateLimit-Policy', 'RateLimit', 'DPoP-Nonce', 'Cache-Control', 'Pragma', 'Content-Type', 'Content-Length']);
    const bad = await compare(p, 'POST', TOKEN, { ...auth, DPoP: 'not.a.proof' }, form({ grant_type: 'client_credentials' }));
    expect([bad.fastRouted, bad.fast.status, errorCode(bad.fast)]).toEqual([false, 400, 'invalid_dpop_proof']);
  });

  test('a query is ignored by the routes, and the request is still answered before Express', async () => {
    for (const path of [`${TOKEN}?a=b&access_token=x`, `${TOKEN}?`]) {
      const { fast, fastRouted } = await compare(p, 'POST', path, auth, form({ grant_type: 'client_credentials' }));
      expect([path, fastRouted, fast.status]).toEqual([path, false, 200]);
    }
  });

  test('the form type in another letter case or with charset=utf-8 is answered before Express, as the route takes it', async () => {
    for (const type of ['Application/X-WWW-Form-Urlencoded', `${FORM}; charset=utf-8`, `${FORM}; charset=UTF-8`]) {
      const { fast, fastRouted } = await compare(p, 'POST', TOKEN, { ...auth, 'Content-Type': type }, form({ grant_type: 'client_credentials' }));
      expect([type, fastRouted, fast.status]).toEqual([type, false, 200]);
    }
  });

  test('the variants Express also matches (trailing slash, letter case) go to Express and get its answer', async () => {
    for (const [path, route] of [[`${TOKEN}/`, TOKEN], ['/OAuth/Token', TOKEN], [`${INTROSPECT}/`, INTROSPECT]] as const) {
      const { fast, fastRouted } = await compare(p, 'POST', path, auth, form({ grant_type: 'client_credentials', token: 'x' }), { route });
      expect([path, fastRouted, fast.status]).toEqual([path, true, 200]);
    }
  });

  test('other methods go to Express: 405 with Allow', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const { fast, fastRouted } = await compare(p, method, TOKEN, auth);
      expect([method, fastRouted, fast.status, header(fast, 'Allow')]).toEqual([method, true, 405, 'POST']);
    }
  });

  test('bodies formBody does not read itself go to Express: 413, 415, another type, chunked, compressed', async () => {
    const big = form({ grant_type: 'client_credentials', padding: 'x'.repeat(17 * 1024) });
    const cases: Array<[Headers, string | Buffer, number]> = [
      [auth, big, 413],
      [{ ...auth, 'Content-Type': `${FORM}; charset=klingon` }, form({ grant_type: 'client_credentials' }), 415],
      [{ ...auth, 'Content-Type': 'application/json' }, JSON.stringify({ grant_type: 'client_credentials' }), 400],
      [{ Authorization: auth.Authorization! }, form({ grant_type: 'client_credentials' }), 400],
      [{ ...auth, 'Transfer-Encoding': 'chunked' }, form({ grant_type: 'client_credentials' }), 200],
      [{ ...auth, 'Content-Encoding': 'identity' }, form({ grant_type: 'client_credentials' }), 200],
      [{ ...auth, 'Content-Type': `${FORM}; charset=iso-8859-1` }, form({ grant_type: 'client_credentials' }), 200],
    ];
    for (const [headers, body, status] of cases) {
      const { fast, fastRouted } = await compare(p, 'POST', TOKEN, headers, body);
      expect([headers, fastRouted, fast.status]).toEqual([headers, true, status]);
    }
  });
});

test('an answer the drain (SIGTERM) marked Connection: close before it began closes its connection, as the Express route\'s does', async () => {
  const p = await pair();
  try {
    const created = await p.h.ctx.clients.create({ client_id: 'draining', scopes: [] });
    const answers: Answer[] = [];
    for (const served of [p.fast, p.routed]) {
      // What graceful-stop.ts does to a request that comes in while its listener drains.
      served.server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
      const sent = { 'X-Request-Id': 'draining', Connection: 'keep-alive', Authorization: basic('draining', created.secret!), 'Content-Type': FORM };
      answers.push(await ask(served.port, 'POST', TOKEN, sent, form({ grant_type: 'client_credentials' })));
    }
    expect(p.fast.routed.slice(-1)).toEqual([false]);
    expect(answers.map((a) => [a.status, header(a, 'Connection'), names(a).indexOf('Connection')])).toEqual([[200, 'close', 0], [200, 'close', 0]]);
    expect(comparable(answers[0]!, false)).toEqual(comparable(answers[1]!, false));
  } finally {
    await unpair(p);
  }
});

test('a caller who hangs up before its body is complete: the same log line and metrics as on the Express path', async () => {
  const p = await pair();
  try {
    const before = await counts(p);
    for (const served of [p.fast, p.routed]) {
      const socket = net.connect(served.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const seen = served.routed.length;
      socket.write(`POST ${TOKEN} HTTP/1.1\r\nHost: x\r\nX-Request-Id: hung-up\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\n\r\ngrant_type=client`);
      // Once the server has the request (and part of its body), the caller hangs up.
      while (served.routed.length === seen) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
    }
    let lines = await requestLines(p, 'hung-up');
    for (let tries = 0; lines.length < 2 && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 10));
      lines = await requestLines(p, 'hung-up');
    }
    expect(lines).toHaveLength(2);
    expect(p.fast.routed.slice(-1)).toEqual([false]);
    expect(lineShape(lines[0]!, false)).toEqual(lineShape(lines[1]!, false));
    // body-parser's request.aborted, through the one error mapper: a 400 written to a connection already gone.
    expect(lines[0]).toMatchObject({ route: 'POST /oauth/token', status: 400, response_bytes: Buffer.byteLength(JSON.stringify({ error: 'invalid_request', error_description: 'request was aborted' })) });
    const [requests, timed, errors] = counted(before, 'POST', TOKEN, 400, 'invalid_request');
    expect(counted(await counts(p), 'POST', TOKEN, 400, 'invalid_request')).toEqual([requests! + 2, timed! + 2, errors! + 2]);
  } finally {
    await unpair(p);
  }
});

describe('past a client\'s rate limit', () => {
  let p: Pair;
  beforeAll(async () => { p = await pair({ TESSERA_RATE_LIMIT_CLIENT: '2/60' }); });
  afterAll(async () => { await unpair(p); });

  test('429 with Retry-After and the RateLimit headers, exactly as Express answers it', async () => {
    const created = await p.h.ctx.clients.create({ client_id: 'limited', scopes: [] });
    const headers = { Authorization: basic('limited', created.secret!), 'Content-Type': FORM };
    const first = await compare(p, 'POST', TOKEN, headers, form({ grant_type: 'client_credentials' }));
    expect([first.fastRouted, first.fast.status, header(first.fast, 'RateLimit'), header(first.routed, 'RateLimit')])
      .toEqual([false, 200, '"client";r=1;t=30', '"client";r=0;t=60']);
    const { fast, fastRouted } = await compare(p, 'POST', TOKEN, headers, form({ grant_type: 'client_credentials' }), { exact: true });
    expect([fastRouted, fast.status, errorCode(fast)]).toEqual([false, 429, 'too_many_requests']);
    const list = names(fast);
    expect(list.slice(list.indexOf('X-Request-Id'), list.indexOf('Date')))
      .toEqual(['X-Request-Id', 'RateLimit-Policy', 'RateLimit', 'Cache-Control', 'Pragma', 'Retry-After', 'Content-Type', 'Content-Length']);
    expect([header(fast, 'Retry-After'), header(fast, 'RateLimit-Policy'), header(fast, 'RateLimit')]).toEqual(['30', '"client";q=2;w=60', '"client";r=0;t=60']);
  });
});

describe('while the store is down', () => {
  let p: Pair;
  let refused: string[];
  beforeAll(async () => {
    p = await pair();
    refused = [];
    const outage = p.h.ctx.outage;
    const original = outage.refused.bind(outage);
    jest.spyOn(outage, 'refused').mockImplementation((err, route) => { refused.push(route); original(err, route); });
    await p.h.ctx.store.close();
  });
  afterAll(async () => { await unpair(p); });

  test('503 temporarily_unavailable with Retry-After, its log line at debug, counted in the outage log, for both endpoints', async () => {
    for (const path of [TOKEN, INTROSPECT]) {
      const count = refused.length;
      const { fast, fastRouted } = await compare(p, 'POST', path, { Authorization: basic('tessera-admin', 'whatever'), 'Content-Type': FORM }, form({ grant_type: 'client_credentials', token: 'x' }), { exact: true });
      expect([path, fastRouted, fast.status, errorCode(fast), header(fast, 'Retry-After')]).toEqual([path, false, 503, 'temporarily_unavailable', '1']);
      expect(refused.slice(count)).toEqual([`POST ${path}`, `POST ${path}`]);
      const lines = await requestLines(p, header(fast, 'X-Request-Id')!);
      // At debug: the outage log sums these up instead.
      expect(lines.map((l) => l.level)).toEqual(['debug', 'debug']);
    }
  });
});
