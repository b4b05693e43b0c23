import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { ADMIN_SECRET, decodeJwt, startHarness, type Harness } from '../support/harness.js';

const raw: string[] = [];
let h: Harness;
let billing: { client_id: string; client_secret: string };
let n = 0;

beforeAll(async () => {
  h = await startHarness({ logger: createLogger('debug', { write: (line: string) => { raw.push(line); } }) });
  billing = await h.createClient({ client_id: 'billing-service', scopes: ['orders:read'], audiences: ['https://api.example.com'] });
});
afterAll(async () => { await h.stop(); });

/** A fresh request id, to find the request's line. */
const rid = () => `log-test-${++n}`;

/** The request lines of one request id (written on 'finish', so wait a tick for them). */
async function linesOf(requestId: string): Promise<Array<Record<string, unknown>>> {
  await new Promise((r) => setImmediate(r));
  return raw.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.request_id === requestId);
}

async function onlyLineOf(requestId: string): Promise<Record<string, unknown>> {
  const lines = await linesOf(requestId);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const FIELDS = ['client_id', 'ip', 'latency_ms', 'level', 'method', 'msg', 'request_id', 'response_bytes', 'route', 'service', 'status', 'time', 'token_id', 'user_agent'];

test('a token request logs one line: routed pattern, status, latency, the client and the jti it was issued', async () => {
  const id = rid();
  const res = await request(h.app).post('/oauth/token').set('X-Request-Id', id).set('User-Agent', 'log-test/1.0')
    .auth(billing.client_id, billing.client_secret).type('form').send({ grant_type: 'client_credentials' });
  expect(res.status).toBe(200);
  const line = await onlyLineOf(id);
  expect(Object.keys(line).sort()).toEqual(FIELDS);
  expect(line).toMatchObject({
    level: 'info', service: 'tessera', msg: 'request', request_id: id, method: 'POST', route: 'POST /oauth/token', status: 200,
    client_id: 'billing-service', token_id: decodeJwt(res.body.access_token).payload.jti, ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
    user_agent: 'log-test/1.0', response_bytes: Buffer.byteLength(res.text),
  });
  expect(typeof line.latency_ms).toBe('number');
  expect(line.latency_ms).toBeGreaterThan(0);
});

test('an admin call logs the route pattern (not the id in the path) and the admin token it used', async () => {
  const token = await h.adminToken();
  const id = rid();
  const res = await request(h.app).get('/admin/v1/clients/billing-service').set('X-Request-Id', id).set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  expect(await onlyLineOf(id)).toMatchObject({
    level: 'info', method: 'GET', route: 'GET /admin/v1/clients/:id', status: 200,
    client_id: 'tessera-admin', token_id: decodeJwt(token).payload.jti,
  });
});

test('an error answered after routing still names the full pattern, mount included', async () => {
  const token = await h.adminToken();
  const id = rid();
  const res = await request(h.app).get('/admin/v1/clients/no-such-client').set('X-Request-Id', id).set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(404);
  expect(await onlyLineOf(id)).toMatchObject({ level: 'info', route: 'GET /admin/v1/clients/:id', status: 404, client_id: 'tessera-admin' });
});

test('a 401 of the admin API logs the mount it reached, and no client or token', async () => {
  const id = rid();
  const res = await request(h.app).get('/admin/v1/clients').set('X-Request-Id', id);
  expect(res.status).toBe(401);
  expect(await onlyLineOf(id)).toMatchObject({ level: 'info', method: 'GET', route: 'GET /admin/v1/*', status: 401, client_id: null, token_id: null });
});

test('a failed client authentication logs 401 and no client id (a swapped id and secret must not land in the log)', async () => {
  const id = rid();
  const res = await request(h.app).post('/oauth/token').set('X-Request-Id', id)
    .auth(ADMIN_SECRET, 'tessera-admin').type('form').send({ grant_type: 'client_credentials' });
  expect(res.status).toBe(401);
  expect(await onlyLineOf(id)).toMatchObject({ route: 'POST /oauth/token', status: 401, client_id: null, token_id: null });
  expect(raw.join('')).not.toContain(ADMIN_SECRET);
});

test('introspection and revocation log the client that authenticated', async () => {
  const issued = await request(h.app).post('/oauth/token').auth(billing.client_id, billing.client_secret).type('form').send({ grant_type: 'client_credentials' });
  for (const path of ['/oauth/introspect', '/oauth/revoke']) {
    const id = rid();
    const res = await request(h.app).post(path).set('X-Request-Id', id)
      .auth(billing.client_id, billing.client_secret).type('form').send({ token: issued.body.access_token });
    expect(res.status).toBe(200);
    expect(await onlyLineOf(id)).toMatchObject({ route: `POST ${path}`, status: 200, client_id: 'billing-service' });
  }
});

test('an unknown path is logged as unmatched, never by its raw path or query', async () => {
  const secret = generateOpaqueToken('api');
  const id = rid();
  const res = await request(h.app).get(`/nope/${secret}?access_token=${secret}`).set('X-Request-Id', id);
  expect(res.status).toBe(404);
  expect(await onlyLineOf(id)).toMatchObject({ route: 'GET (unmatched)', status: 404 });
  expect(raw.join('')).not.toContain(secret);
});

test.each(['/healthz', '/readyz'])('%s is logged at debug only', async (path) => {
  const id = rid();
  const res = await request(h.app).get(path).set('X-Request-Id', id);
  expect(res.status).toBe(200);
  expect(await onlyLineOf(id)).toMatchObject({ level: 'debug', route: `GET ${path}`, status: 200 });
});

test('at the default info level, probes write nothing while other requests do', async () => {
  const lines: string[] = [];
  const quiet = await startHarness({ logger: createLogger('info', { write: (l: string) => { lines.push(l); } }) });
  try {
    await request(quiet.app).get('/healthz').set('X-Request-Id', 'probe').expect(200);
    await request(quiet.app).get('/.well-known/jwks.json').set('X-Request-Id', 'jwks').expect(200);
    await new Promise((r) => setImmediate(r));
    const ids = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request').map((l) => l.request_id);
    expect(ids).toEqual(['jwks']);
  } finally {
    await quiet.stop();
  }
});
