/**
 * An admin action is acknowledged only once its audit event is written: the
 * answer waits for the audit write, and when that write fails the action
 * answers 503 (never 500, never its success). Other requests keep writing
 * their events in the background.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';

let h: Harness;
let admin: string;
let original: Harness['ctx']['store']['audit']['append'];
let exchanger: { client_id: string; client_secret: string };

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  original = h.ctx.store.audit.append;
  await h.ctx.users.putRole('member', ['orders:read', 'tessera:tokens']);
  await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['member'] });
  exchanger = await h.createClient({ client_id: 'exchanger', grant_types: [EXCHANGE], scopes: ['orders:read', 'tessera:tokens'] });
});
afterEach(() => {
  h.ctx.store.audit.append = original;
});
afterAll(async () => { await h.stop(); });

/** Every audit append fails from now on (the afterEach puts the store back). */
function failAuditWrites(): { attempts: string[] } {
  const attempts: string[] = [];
  h.ctx.store.audit.append = async (entry) => {
    attempts.push(entry.type);
    throw new Error('audit stream unavailable');
  };
  return { attempts };
}

function expectNotAcknowledged(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the token store is unavailable; retry shortly' });
  expect(res.headers['retry-after']).toBe('1');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.location).toBeUndefined();
  expect(res.text).not.toMatch(/client_secret|audit stream unavailable|at .*\.ts/);
}

const adminEvents = async () => (await h.ctx.store.audit.query({ filter: {}, order: 'asc', limit: 1000, scanLimit: 10_000 })).items;

test('a client created while its audit event cannot be written is answered 503, not 201 with its secret', async () => {
  const { attempts } = failAuditWrites();
  const res = await request(h.app).post('/admin/v1/clients').set('Authorization', admin).send({ client_id: 'unaudited', scopes: [] });
  expectNotAcknowledged(res);
  expect(attempts).toEqual(['client.created']);
});

test('an answer without a body (204) is held and refused the same way', async () => {
  await h.ctx.users.putRole('doomed', ['orders:read']);
  failAuditWrites();
  const res = await request(h.app).delete('/admin/v1/roles/doomed').set('Authorization', admin);
  expectNotAcknowledged(res);
});

test('user, role, key, API token and webhook changes all wait for their event', async () => {
  const { attempts } = failAuditWrites();
  const calls = [
    request(h.app).post('/admin/v1/users').send({ username: 'carol', password: 'carol-password-123', roles: [] }),
    request(h.app).put('/admin/v1/roles/auditors').send({ scopes: ['orders:read'] }),
    request(h.app).post('/admin/v1/keys/rotate'),
    request(h.app).post('/admin/v1/api-tokens').send({ user: 'alice', name: 'ci', scopes: ['orders:read'] }),
    request(h.app).post('/admin/v1/webhooks').send({ url: 'https://hooks.example.com/tessera' }),
  ];
  for (const call of calls) expectNotAcknowledged(await call.set('Authorization', admin));
  expect(attempts).toEqual(['user.created', 'role.created', 'key.rotated', 'api_token.created', 'webhook.created']);
});

test('/v1/me changes (a user creating their own API token) are held the same way', async () => {
  const { token } = await h.ctx.apiTokens.create({ user: 'alice', name: 'session', scopes: ['orders:read', 'tessera:tokens'] }, { actor: { type: 'client', id: 'test' } });
  const exchanged = await request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: token, subject_token_type: API_TOKEN_TYPE });
  expect(exchanged.status).toBe(200);
  const { attempts } = failAuditWrites();
  const res = await request(h.app).post('/v1/me/api-tokens').set('Authorization', `Bearer ${exchanged.body.access_token}`)
    .send({ name: 'laptop', scopes: ['orders:read'] });
  expectNotAcknowledged(res);
  expect(attempts).toEqual(['api_token.created']);
});

test('the answer leaves only after the audit write is acknowledged, and the event is then in the log', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const held: string[] = [];
  h.ctx.store.audit.append = async (...args) => {
    held.push(args[0].type);
    await gate;
    return original.apply(h.ctx.store.audit, args);
  };
  let answered = false;
  const pending = request(h.app).post('/admin/v1/clients').set('Authorization', admin).send({ client_id: 'audited', scopes: [] })
    .then((res) => { answered = true; return res; });
  await new Promise((r) => setTimeout(r, 300));
  expect(held).toEqual(['client.created']);
  expect(answered).toBe(false);
  release();
  const res = await pending;
  expect(res.status).toBe(201);
  expect(res.headers.location).toBe('/admin/v1/clients/audited');
  expect((await adminEvents()).filter((e) => e.type === 'client.created' && e.subject === 'audited')).toHaveLength(1);
});

test('reads are not held, and requests outside the admin API keep writing their events in the background', async () => {
  failAuditWrites();
  const list = await request(h.app).get('/admin/v1/clients').set('Authorization', admin);
  expect(list.status).toBe(200);
  // Issuing a token records token.issued; a failed audit write does not refuse the token.
  const issued = await request(h.app).post('/oauth/token').auth('tessera-admin', 'admin-secret-for-tests-0123456789').type('form')
    .send({ grant_type: 'client_credentials' });
  expect(issued.status).toBe(200);
});

test('on Redis, an admin change is answered with its event already in the audit stream (written on the durable connection)', async () => {
  const r = await startHarness({ redis: true });
  try {
    const res = await request(r.app).post('/admin/v1/clients').set('Authorization', `Bearer ${await r.adminToken()}`).send({ client_id: 'on-redis', scopes: [] });
    expect(res.status).toBe(201);
    // No flushAudit(): the answer itself waited for the XADD.
    const page = await r.ctx.store.audit.query({ filter: { type: 'client.created' }, order: 'asc', limit: 10, scanLimit: 1000 });
    expect(page.items.map((e) => e.subject)).toContain('on-redis');
  } finally {
    await r.stop();
  }
});
