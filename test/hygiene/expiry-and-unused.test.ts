/**
 * Token hygiene on an injected clock: expiry warnings (7 days and 1 day by
 * default; configurable), the expired notice, unused tokens and the opt-in
 * policy that revokes or ends them after a warning. Every notice is an
 * audit event and arrives at a webhook receiver, once however often and on
 * however many instances the jobs run.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { startReceiver, verifyReceived, type Receiver } from '../support/webhook-receiver.js';
import { testRedisPrefix } from '../support/redis.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface World {
  h: Harness;
  t: { now: number };
  admin: string;
  userId: string;
  client: { client_id: string; client_secret: string };
}

async function world(options: { env?: Record<string, string>; redis?: boolean; t?: { now: number } } = {}): Promise<World> {
  const t = options.t ?? { now: Date.now() };
  const h = await startHarness({ redis: options.redis, env: options.env, now: () => t.now });
  const admin = `Bearer ${await h.adminToken()}`;
  const username = `owner-${Math.random().toString(36).slice(2, 8)}`;
  await h.ctx.users.putRole('hygiene', ['orders:read']);
  const user = await h.ctx.users.create({ username, password: 'a long password 123', roles: ['hygiene'] });
  const client = await h.createClient({ scopes: ['orders:read'] });
  return { h, t, admin, userId: user.id, client };
}

async function createToken(w: World, expiresIn: number, name = 'ci'): Promise<{ id: string; token: string }> {
  const res = await request(w.h.app).post('/admin/v1/api-tokens').set('Authorization', w.admin)
    .send({ user: w.userId, name, scopes: ['orders:read'], expires_in: expiresIn });
  expect(res.status).toBe(201);
  return res.body;
}

/** Runs a job as the scheduler would, then waits for its events to be written. */
async function runJob(w: World, name: string): Promise<void> {
  expect((await w.h.jobs.runOnce(name)).ran).toBe(true);
  await w.h.flushAudit();
}

const events = (w: World, type: string) => w.h.audit.events.filter((e) => e.type === type);

describe.each([['memory', false], ['Redis', true]])('expiry notices on the %s store', (_n, redis) => {
  let w: World;
  let receiver: Receiver;
  let secret: string;
  beforeEach(async () => {
    w = await world({ redis });
    receiver = await startReceiver();
    secret = (await request(w.h.app).post('/admin/v1/webhooks').set('Authorization', w.admin)
      .send({ url: receiver.url, event_types: ['api_token.expiring', 'api_token.expired'] }).expect(201)).body.secret;
  });
  afterEach(async () => {
    await w.h.stop();
    await receiver.close();
  });

  test('a 30-day token is warned 7 days and 1 day before it expires, once each, then reported expired once, as signed webhooks', async () => {
    const start = w.t.now;
    const token = await createToken(w, 30 * 86_400);
    const expiresAt = new Date(start + 30 * DAY).toISOString();

    w.t.now = start + 22 * DAY + 23 * HOUR; // 7 days and an hour left
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring')).toEqual([]);

    w.t.now = start + 23 * DAY + HOUR; // 6 days 23 hours left
    await runJob(w, 'api-token-expiry');
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring')).toEqual([expect.objectContaining({
      actor: { type: 'system', id: 'token-hygiene' }, subject: w.userId, token_id: token.id,
      detail: { name: 'ci', username: expect.any(String), expires_at: expiresAt, expires_in: 6 * 86_400 + 23 * 3600, warning: 604_800 },
    })]);

    w.t.now = start + 29 * DAY + 12 * HOUR;
    await runJob(w, 'api-token-expiry');
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring').map((e) => e.detail!.warning)).toEqual([604_800, 86_400]);

    w.t.now = start + 30 * DAY + 1;
    await runJob(w, 'api-token-expiry');
    w.t.now += HOUR;
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expired')).toEqual([expect.objectContaining({
      subject: w.userId, token_id: token.id, detail: { name: 'ci', username: expect.any(String), expired_at: expiresAt },
    })]);

    await w.h.webhooks.runOnce();
    const got = await receiver.waitFor(3);
    expect(got.map((r) => verifyReceived(secret, r, w.t.now))).toEqual([
      expect.objectContaining({ type: 'api_token.expiring', data: expect.objectContaining({ token_id: token.id, user_id: w.userId, warning: 604_800, expires_at: expiresAt }) }),
      expect.objectContaining({ type: 'api_token.expiring', data: expect.objectContaining({ token_id: token.id, warning: 86_400 }) }),
      expect.objectContaining({ type: 'api_token.expired', data: expect.objectContaining({ token_id: token.id, expired_at: expiresAt }) }),
    ]);
  });

  test('a window longer than the token\'s whole life is skipped; a revoked token gets no notice', async () => {
    const start = w.t.now;
    const short = await createToken(w, 2 * 86_400, 'short');
    const revoked = await createToken(w, 3 * 86_400, 'revoked');
    await request(w.h.app).delete(`/admin/v1/api-tokens/${revoked.id}`).set('Authorization', w.admin).expect(200);
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring')).toEqual([]);
    w.t.now = start + DAY + HOUR;
    await runJob(w, 'api-token-expiry');
    w.t.now = start + 3 * DAY + 1;
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring').map((e) => [e.token_id, e.detail!.warning])).toEqual([[short.id, 86_400]]);
    expect(events(w, 'api_token.expired').map((e) => e.token_id)).toEqual([short.id]);
  });
});

test('TESSERA_API_TOKEN_EXPIRY_WARNINGS sets the windows; "none" turns warnings off', async () => {
  const w = await world({ env: { TESSERA_API_TOKEN_EXPIRY_WARNINGS: '3600,172800' } });
  try {
    const start = w.t.now;
    await createToken(w, 5 * 86_400);
    w.t.now = start + 4 * DAY;
    await runJob(w, 'api-token-expiry');
    w.t.now = start + 5 * DAY - HOUR / 2;
    await runJob(w, 'api-token-expiry');
    expect(events(w, 'api_token.expiring').map((e) => e.detail!.warning)).toEqual([172_800, 3600]);
  } finally {
    await w.h.stop();
  }
  const off = await world({ env: { TESSERA_API_TOKEN_EXPIRY_WARNINGS: 'none' } });
  try {
    await createToken(off, 10 * 86_400);
    off.t.now += 10 * DAY - HOUR;
    await runJob(off, 'api-token-expiry');
    expect(events(off, 'api_token.expiring')).toEqual([]);
  } finally {
    await off.h.stop();
  }
});

test('two instances on one Redis running the job at the same moment give each notice once', async () => {
  const prefix = testRedisPrefix('hygiene-two');
  const t = { now: Date.now() };
  const a = await world({ redis: true, t, env: { TESSERA_REDIS_PREFIX: prefix } });
  const b = await startHarness({ redis: true, now: () => t.now, env: { TESSERA_REDIS_PREFIX: prefix } });
  try {
    for (let i = 0; i < 5; i++) await createToken(a, 10 * 86_400, `t${i}`);
    t.now += 4 * DAY;
    await Promise.all([a.h.jobs.runOnce('api-token-expiry'), b.jobs.runOnce('api-token-expiry'), a.h.jobs.runOnce('api-token-expiry')]);
    await b.jobs.runOnce('api-token-expiry');
    await Promise.all([a.h.flushAudit(), b.flushAudit()]);
    const all = [...a.h.audit.events, ...b.audit.events].filter((e) => e.type === 'api_token.expiring');
    expect(all).toHaveLength(5);
    expect(new Set(all.map((e) => e.token_id)).size).toBe(5);
  } finally {
    await b.stop();
    await a.h.stop();
  }
});

describe('unused tokens', () => {
  const introspect = (w: World, token: string) => request(w.h.app).post('/oauth/introspect')
    .auth(w.client.client_id, w.client.client_secret).type('form').send({ token }).expect(200);

  test('a token unused for 30 days is reported once; with the revoke policy, one still unused 7 days later is revoked; a use restarts the count', async () => {
    const w = await world({ env: { TESSERA_API_TOKEN_UNUSED_ACTION: 'revoke' } });
    try {
      const start = w.t.now;
      const idle = await createToken(w, 80 * 86_400, 'idle');
      const busy = await createToken(w, 80 * 86_400, 'busy');
      w.t.now = start + 29 * DAY;
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.unused')).toEqual([]);

      w.t.now = start + 30 * DAY;
      await runJob(w, 'api-token-unused');
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.unused').map((e) => e.token_id).sort()).toEqual([idle.id, busy.id].sort());
      expect(events(w, 'api_token.unused').find((e) => e.token_id === idle.id)).toMatchObject({
        actor: { type: 'system', id: 'token-hygiene' },
        detail: { name: 'idle', last_used_at: null, unused_for: 30 * 86_400, action: 'revoke', action_at: new Date(start + 37 * DAY).toISOString() },
      });

      // The busy token is used during the grace; the idle one is not.
      w.t.now = start + 33 * DAY;
      expect((await introspect(w, busy.token)).body.active).toBe(true);
      w.t.now = start + 37 * DAY - 1;
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.revoked')).toEqual([]);
      w.t.now = start + 37 * DAY;
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.revoked')).toEqual([expect.objectContaining({
        token_id: idle.id, actor: { type: 'system', id: 'token-hygiene' }, detail: { reason: 'unused for 30 days (unused-token policy)' },
      })]);
      const shown = await request(w.h.app).get(`/admin/v1/api-tokens/${idle.id}`).set('Authorization', w.admin).expect(200);
      expect(shown.body).toMatchObject({ status: 'revoked', revoked_by: { type: 'system', id: 'token-hygiene' }, revocation_reason: 'unused for 30 days (unused-token policy)' });
      expect((await introspect(w, idle.token)).body).toEqual({ active: false });
      expect((await introspect(w, busy.token)).body.active).toBe(true);

      // Unused again for 30 days from its last use (the introspection just above): warned again.
      w.t.now = start + 66 * DAY;
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.unused').filter((e) => e.token_id === busy.id)).toHaveLength(1);
      w.t.now = start + 67 * DAY;
      await runJob(w, 'api-token-unused');
      expect(events(w, 'api_token.unused').filter((e) => e.token_id === busy.id).map((e) => e.detail!.last_used_at))
        .toEqual([null, new Date(start + 37 * DAY).toISOString()]);
    } finally {
      await w.h.stop();
    }
  });

  test('the expire policy ends the token instead (status expired, not revoked); without a policy only the warning is sent', async () => {
    const w = await world({ env: { TESSERA_API_TOKEN_UNUSED_ACTION: 'expire', TESSERA_API_TOKEN_UNUSED_AFTER: '864000', TESSERA_API_TOKEN_UNUSED_GRACE: '86400' } });
    const plain = await world();
    try {
      const start = w.t.now;
      const token = await createToken(w, 60 * 86_400, 'old');
      w.t.now = start + 10 * DAY;
      await runJob(w, 'api-token-unused');
      w.t.now = start + 11 * DAY;
      await runJob(w, 'api-token-unused');
      const shown = await request(w.h.app).get(`/admin/v1/api-tokens/${token.id}`).set('Authorization', w.admin).expect(200);
      expect(shown.body).toMatchObject({ status: 'expired', revoked_at: null, expires_at: new Date(start + 11 * DAY).toISOString() });
      expect(events(w, 'api_token.expired_early')).toEqual([expect.objectContaining({ token_id: token.id, detail: { reason: 'unused for 10 days (unused-token policy)' } })]);
      // And the expiry job then reports it expired, like any other.
      await runJob(w, 'api-token-expiry');
      expect(events(w, 'api_token.expired').map((e) => e.token_id)).toEqual([token.id]);

      const kept = await createToken(plain, 60 * 86_400);
      plain.t.now += 59 * DAY;
      await runJob(plain, 'api-token-unused');
      expect(events(plain, 'api_token.unused').map((e) => [e.token_id, e.detail!.action, e.detail!.action_at])).toEqual([[kept.id, 'none', null]]);
      expect((await request(plain.h.app).get(`/admin/v1/api-tokens/${kept.id}`).set('Authorization', plain.admin)).body.status).toBe('active');
    } finally {
      await w.h.stop();
      await plain.h.stop();
    }
  });

  test('the walk covers more tokens than one turn takes, resuming from its cursor', async () => {
    const w = await world({ env: { TESSERA_API_TOKEN_UNUSED_AFTER: '3600' } });
    try {
      for (let i = 0; i < 1205; i++) {
        await w.h.ctx.apiTokens.create({ name: `bulk ${i}`, scopes: ['orders:read'], expires_in: 86_400 }, { actor: { type: 'client', id: 'test' }, owner: w.userId });
      }
      w.t.now += 2 * HOUR;
      const first = await w.h.jobs.runOnce('api-token-unused');
      expect(first).toEqual({ ran: true, nextInMs: 1_000 });
      await w.h.flushAudit();
      expect(events(w, 'api_token.unused')).toHaveLength(1000);
      expect(await w.h.jobs.runOnce('api-token-unused')).toEqual({ ran: true, nextInMs: 60_000 });
      await w.h.flushAudit();
      expect(new Set(events(w, 'api_token.unused').map((e) => e.token_id)).size).toBe(1205);
    } finally {
      await w.h.stop();
    }
  }, 60_000);
});
