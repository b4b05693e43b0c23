/**
 * Webhooks end to end: endpoints made through the admin API, events
 * delivered to a receiver on loopback and verified there with the Standard
 * Webhooks reference library, retries over more than a day on an injected
 * clock, the dead-letter list and redelivery through the API. On the memory
 * store and on Redis.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { startReceiver, verifyReceived, type Receiver } from '../support/webhook-receiver.js';
import { RETRY_WAITS_MS, MAX_ATTEMPTS } from '../../src/core/webhooks/retry-schedule.js';
import type { WebhookDeliveryRecord } from '../../src/store/store.js';

const HOUR = 3_600_000;

describe.each([['memory', false], ['Redis', true]])('webhooks on the %s store', (_name, redis) => {
  let h: Harness;
  let receiver: Receiver;
  let admin: string;
  let t: number;
  let userId: string;

  beforeEach(async () => {
    t = Date.now();
    h = await startHarness({ redis, now: () => t });
    receiver = await startReceiver();
    admin = `Bearer ${await h.adminToken()}`;
    await request(h.app).put('/admin/v1/roles/hooks').set('Authorization', admin).send({ scopes: ['orders:read'] }).expect(201);
    userId = (await request(h.app).post('/admin/v1/users').set('Authorization', admin).send({ username: `hooks-${t}`, password: 'a long password 123', roles: ['hooks'] }).expect(201)).body.id;
  });
  afterEach(async () => {
    await h.stop();
    await receiver.close();
  });

  const subscribe = async (body: Record<string, unknown> = {}) => {
    const res = await request(h.app).post('/admin/v1/webhooks').set('Authorization', admin).send({ url: receiver.url, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const createToken = async () => {
    const res = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin)
      .send({ user: userId, name: 'deploy bot', scopes: ['orders:read'], expires_in: 30 * 86_400 });
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string };
  };
  /** Queues what the requests so far published, then sends what is due at `t`. */
  const deliver = async () => {
    await h.flushAudit();
    return h.webhooks.runOnce();
  };
  const delivery = async (): Promise<WebhookDeliveryRecord> => {
    const [d] = (await h.ctx.store.webhooks.claim(t + 365 * 24 * HOUR, 10, 1)).filter((x) => x.state === 'pending');
    // claim() leased it to us for 1 ms past a far future: give it back as it was.
    await h.ctx.store.webhooks.retry(d!);
    return d!;
  };

  test('events arrive signed per Standard Webhooks and verify with the reference library; the secret is shown once and never sent', async () => {
    const endpoint = await subscribe({ event_types: ['api_token.created', 'api_token.revoked'], description: 'ops' });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await request(h.app).get(`/admin/v1/webhooks/${endpoint.id}`).set('Authorization', admin).expect(200);
    expect(shown.body).toEqual({
      id: endpoint.id, url: receiver.url, description: 'ops', event_types: ['api_token.created', 'api_token.revoked'], disabled: false,
      created_at: new Date(t).toISOString(), created_by: { type: 'client', id: 'tessera-admin' }, updated_at: new Date(t).toISOString(),
      secret_rotated_at: null, previous_secret_expires_at: null,
    });

    const token = await createToken();
    expect(await deliver()).toBe(1);
    const [created] = await receiver.waitFor(1);
    expect(created!.headers).toMatchObject({
      'content-type': 'application/json', 'user-agent': 'Tessera-Webhooks/1',
      'webhook-id': expect.stringMatching(/^msg_[A-Za-z0-9_-]{22}$/), 'webhook-timestamp': String(Math.floor(t / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    expect(verifyReceived(endpoint.secret, created!, t)).toEqual({
      type: 'api_token.created',
      timestamp: new Date(t).toISOString(),
      data: {
        token_id: token.id, user_id: userId, actor: { type: 'client', id: 'tessera-admin' }, name: 'deploy bot',
        scopes: ['orders:read'], expires_at: new Date(t + 30 * 86_400_000).toISOString(),
      },
    });
    // Another secret does not verify it; the token's own secret is in no payload.
    expect(() => verifyReceived('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', created!, t)).toThrow();
    expect(created!.body).not.toContain(token.token);
    expect(created!.body).not.toContain(endpoint.secret);

    // Not subscribed: a key rotation sends nothing. Subscribed: the revocation arrives.
    await request(h.app).post('/admin/v1/keys/rotate').set('Authorization', admin).expect(200);
    await request(h.app).delete(`/admin/v1/api-tokens/${token.id}`).set('Authorization', admin).send({ reason: 'left the team' }).expect(200);
    expect(await deliver()).toBe(1);
    const [, revoked] = await receiver.waitFor(2);
    expect(verifyReceived(endpoint.secret, revoked!, t)).toMatchObject({
      type: 'api_token.revoked', data: { token_id: token.id, user_id: userId, reason: 'left the team', actor: { type: 'client', id: 'tessera-admin' } },
    });
    expect(revoked!.headers['webhook-id']).not.toBe(created!.headers['webhook-id']);
    expect(receiver.received).toHaveLength(2);
  });

  test('a receiver that fails for a while gets the event once it recovers, on the retry schedule, with the same webhook-id', async () => {
    const endpoint = await subscribe();
    receiver.answer = 503;
    const start = t;
    await createToken();
    expect(await deliver()).toBe(1);
    let d = await delivery();
    expect(d).toMatchObject({ attempts: 1, last_status: 503, last_error: 'HTTP 503', last_attempt_at: start });
    // 5 s after the first failure, up to 10 % later.
    expect(d.next_attempt_at).toBeGreaterThanOrEqual(start + 5_000);
    expect(d.next_attempt_at).toBeLessThanOrEqual(start + 5_500);

    t = d.next_attempt_at - 1;
    expect(await h.webhooks.runOnce()).toBe(0);
    t = d.next_attempt_at;
    expect(await h.webhooks.runOnce()).toBe(1);
    d = await delivery();
    expect(d.attempts).toBe(2);
    expect(d.next_attempt_at - t).toBeGreaterThanOrEqual(5 * 60_000);

    // Down for half an hour more; back up before the fourth attempt.
    t = d.next_attempt_at;
    expect(await h.webhooks.runOnce()).toBe(1);
    d = await delivery();
    expect(d.attempts).toBe(3);
    receiver.answer = 204;
    t = d.next_attempt_at;
    expect(await h.webhooks.runOnce()).toBe(1);
    await expect(h.ctx.store.webhooks.getDelivery(d.id)).resolves.toBeNull();

    const got = await receiver.waitFor(4);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed when it is sent.
    expect(Number(got[0]!.headers['webhook-timestamp'])).toBe(Math.floor(start / 1000));
    expect(Number(got[3]!.headers['webhook-timestamp'])).toBe(Math.floor(t / 1000));
    expect(verifyReceived(endpoint.secret, got[3]!, t)).toMatchObject({ type: 'api_token.created' });
    expect(t - start).toBeGreaterThanOrEqual(35 * 60_000);
  });

  test('after every attempt over more than a day has failed, the event is a dead letter; redelivered through the API, it arrives', async () => {
    const endpoint = await subscribe();
    receiver.answer = 500;
    const start = t;
    await createToken();
    await deliver();
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      t = (await delivery()).next_attempt_at;
      expect(await h.webhooks.runOnce()).toBe(1);
    }
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
    expect(t - start).toBeGreaterThanOrEqual(RETRY_WAITS_MS.reduce((a, b) => a + b, 0));
    expect(t - start).toBeGreaterThan(24 * HOUR);
    // Nothing more is tried.
    t += 48 * HOUR;
    expect(await h.webhooks.runOnce()).toBe(0);

    const dead = await request(h.app).get('/admin/v1/webhooks/dead-letters').set('Authorization', admin).expect(200);
    expect(dead.body.next_cursor).toBeNull();
    expect(dead.body.items).toHaveLength(1);
    const letter = dead.body.items[0];
    expect(letter).toMatchObject({
      endpoint_id: endpoint.id, event_type: 'api_token.created', state: 'dead', attempts: MAX_ATTEMPTS, last_status: 500, last_error: 'HTTP 500',
      next_attempt_at: null, message_id: receiver.received[0]!.headers['webhook-id'], payload: { type: 'api_token.created' },
    });
    expect(Date.parse(letter.dead_at)).toBeGreaterThan(start + 24 * HOUR);
    const byEndpoint = await request(h.app).get(`/admin/v1/webhooks/dead-letters?endpoint=${endpoint.id}`).set('Authorization', admin).expect(200);
    expect(byEndpoint.body.items.map((x: { id: string }) => x.id)).toEqual([letter.id]);

    receiver.answer = 204;
    const again = await request(h.app).post(`/admin/v1/webhooks/dead-letters/${letter.id}/redeliver`).set('Authorization', admin).expect(202);
    expect(again.body).toMatchObject({ id: letter.id, state: 'pending', attempts: 0, next_attempt_at: new Date(t).toISOString(), dead_at: null });
    expect(await h.webhooks.runOnce()).toBe(1);
    const got = await receiver.waitFor(MAX_ATTEMPTS + 1);
    expect(got[MAX_ATTEMPTS]!.headers['webhook-id']).toBe(letter.message_id);
    expect(verifyReceived(endpoint.secret, got[MAX_ATTEMPTS]!, t)).toMatchObject({ type: 'api_token.created' });
    expect((await request(h.app).get('/admin/v1/webhooks/dead-letters').set('Authorization', admin).expect(200)).body.items).toEqual([]);
    await request(h.app).post(`/admin/v1/webhooks/dead-letters/${letter.id}/redeliver`).set('Authorization', admin).expect(404);
    await h.flushAudit();
    expect(h.audit.events.filter((e) => e.type === 'webhook.redelivered')).toEqual([
      expect.objectContaining({ subject: endpoint.id, detail: { delivery_id: letter.id, message_id: letter.message_id } }),
    ]);
  });

  test('a secret rotated with an overlap signs with both secrets until the overlap ends, then with the new one only', async () => {
    const endpoint = await subscribe();
    const rotated = await request(h.app).post(`/admin/v1/webhooks/${endpoint.id}/secret`).set('Authorization', admin).send({ grace_period: 3600 }).expect(200);
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.previous_secret_expires_at).toBe(new Date(t + HOUR).toISOString());

    await createToken();
    await deliver();
    const [during] = await receiver.waitFor(1);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyReceived(rotated.body.secret, during!, t)).toMatchObject({ type: 'api_token.created' });
    expect(verifyReceived(endpoint.secret, during!, t)).toMatchObject({ type: 'api_token.created' });

    t += HOUR;
    await createToken();
    await deliver();
    const [, after] = await receiver.waitFor(2);
    expect(String(after!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyReceived(rotated.body.secret, after!, t)).toMatchObject({ type: 'api_token.created' });
    expect(() => verifyReceived(endpoint.secret, after!, t)).toThrow();
    expect((await request(h.app).get(`/admin/v1/webhooks/${endpoint.id}`).set('Authorization', admin)).body.previous_secret_expires_at).toBeNull();
  });

  test('a disabled endpoint gets no events; a deleted endpoint\'s queued deliveries are dropped; a test event reaches one endpoint', async () => {
    const off = await subscribe({ disabled: true });
    const gone = await subscribe();
    receiver.answer = 503;
    await createToken();
    await deliver();
    expect(receiver.received).toHaveLength(1);
    await request(h.app).delete(`/admin/v1/webhooks/${gone.id}`).set('Authorization', admin).expect(204);
    t += HOUR;
    expect(await h.webhooks.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    await expect(h.ctx.store.webhooks.counts()).resolves.toEqual({ pending: 0, dead: 0 });

    receiver.answer = 204;
    await request(h.app).patch(`/admin/v1/webhooks/${off.id}`).set('Authorization', admin).send({ disabled: false }).expect(200);
    const ping = await request(h.app).post(`/admin/v1/webhooks/${off.id}/test`).set('Authorization', admin).expect(202);
    expect(ping.body).toEqual({ message_id: expect.stringMatching(/^msg_/), delivery_id: expect.stringMatching(/^whd_/) });
    await h.webhooks.runOnce();
    const [, test] = await receiver.waitFor(2);
    expect(test!.headers['webhook-id']).toBe(ping.body.message_id);
    expect(verifyReceived(off.secret, test!, t)).toEqual({ type: 'webhook.test', timestamp: new Date(t).toISOString(), data: { endpoint_id: off.id } });
  });
});

describe('webhook secrets at rest', () => {
  test('with TESSERA_KEYS_PASSPHRASE the store holds the secret sealed, and deliveries still verify', async () => {
    const h = await startHarness({ env: { TESSERA_KEYS_PASSPHRASE: 'a passphrase for the tests' } });
    const receiver = await startReceiver();
    try {
      const admin = `Bearer ${await h.adminToken()}`;
      const created = await request(h.app).post('/admin/v1/webhooks').set('Authorization', admin).send({ url: receiver.url }).expect(201);
      const stored = await h.ctx.store.webhooks.getEndpoint(created.body.id);
      expect(stored!.secret).toMatch(/^enc1\./);
      expect(JSON.stringify(stored)).not.toContain(created.body.secret.slice(6));
      await request(h.app).post(`/admin/v1/webhooks/${created.body.id}/test`).set('Authorization', admin).expect(202);
      await h.webhooks.runOnce();
      const [got] = await receiver.waitFor(1);
      expect(verifyReceived(created.body.secret, got!, Date.now())).toMatchObject({ type: 'webhook.test' });
    } finally {
      await h.stop();
      await receiver.close();
    }
  });
});

describe('deliveries never slow a token request', () => {
  test('with a receiver holding every request unanswered, token and admin requests are answered while its first delivery hangs', async () => {
    const h = await startHarness({ background: true });
    const receiver = await startReceiver();
    receiver.answer = 'hold';
    try {
      const admin = `Bearer ${await h.adminToken()}`;
      await request(h.app).post('/admin/v1/webhooks').set('Authorization', admin).send({ url: receiver.url }).expect(201);
      await request(h.app).post('/admin/v1/clients').set('Authorization', admin).send({ client_id: 'hold-svc' }).expect(201);
      const rotated = await request(h.app).post('/admin/v1/clients/hold-svc/secret').set('Authorization', admin).expect(200);
      // The event of that rotation is on its way, and the receiver holds it.
      await receiver.waitFor(1);
      expect(receiver.received[0]!.event).toMatchObject({ type: 'client.secret_rotated', data: { client_id: 'hold-svc' } });
      for (let i = 0; i < 5; i++) {
        await request(h.app).post('/oauth/token').auth('hold-svc', rotated.body.client_secret).type('form').send({ grant_type: 'client_credentials' }).expect(200);
      }
      await request(h.app).post('/admin/v1/clients/hold-svc/secret').set('Authorization', admin).expect(200);
      // Still held: every answer above came while the delivery was waiting on the receiver.
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
      await h.stop();
    }
  }, 30_000);
});
