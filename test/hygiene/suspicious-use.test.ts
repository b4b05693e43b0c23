/**
 * Suspicious use of API tokens, end to end on an injected clock: each rule
 * (new network, rate, dormancy) makes an `api_token.suspicious_use` event
 * that reaches a webhook receiver signed; under the pause policy the token
 * is then refused until its owner resumes it; and the baseline work never
 * holds up the use that feeds it.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { startReceiver, verifyReceived, type Receiver } from '../support/webhook-receiver.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let h: Harness;
let receiver: Receiver;
let secret: string;
let t: number;
let rs: { client_id: string; client_secret: string };
let ownerId: string;

async function setUp(env: Record<string, string> = {}): Promise<void> {
  t = Math.floor(Date.now() / HOUR) * HOUR + 10 * 60_000;
  h = await startHarness({ now: () => t, env });
  receiver = await startReceiver();
  const admin = `Bearer ${await h.adminToken()}`;
  secret = (await request(h.app).post('/admin/v1/webhooks').set('Authorization', admin).send({ url: receiver.url, event_types: ['api_token.suspicious_use'] }).expect(201)).body.secret;
  await h.ctx.users.putRole('ci', ['orders:read', 'tessera:tokens']);
  ownerId = (await h.ctx.users.create({ username: 'ci-owner', password: 'a long password 123', roles: ['ci'] })).id;
  rs = await h.createClient({ client_id: 'resource-server' });
}
afterEach(async () => {
  await h.stop();
  await receiver.close();
});

const createToken = async (scopes = ['orders:read']) =>
  (await h.ctx.apiTokens.create({ name: 'deploy', scopes, expires_in: 90 * 86_400 }, { actor: { type: 'client', id: 'test' }, owner: ownerId }));
/** A resource server introspects the token for a request that came from `ip`. */
const use = (token: string, ip: string) => request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form')
  .send({ token, client_ip: ip }).expect(200);
/** Twenty uses over two days, two an hour, from 198.51.100.0/24: a learned baseline. */
async function learn(token: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    t += i % 2 === 0 ? 5 * HOUR : 60_000;
    expect((await use(token, `198.51.100.${i}`)).body.active).toBe(true);
  }
  await h.flushAudit();
}
const findings = () => h.audit.events.filter((e) => e.type === 'api_token.suspicious_use');
async function delivered(n: number) {
  await h.flushAudit();
  await h.webhooks.runOnce();
  return (await receiver.waitFor(n)).map((r) => verifyReceived(secret, r, t) as { type: string; data: Record<string, unknown> });
}

test('new network: a use from a network outside the learned ones is reported once, as a signed event; the token keeps working under notify', async () => {
  await setUp();
  const { record, token } = await createToken();
  await learn(token);
  expect(findings()).toEqual([]);

  t += HOUR;
  expect((await use(token, '203.0.113.9')).body.active).toBe(true);
  expect((await use(token, '203.0.113.77')).body.active).toBe(true);
  const [event] = await delivered(1);
  expect(event).toEqual({
    type: 'api_token.suspicious_use', timestamp: new Date(t).toISOString(),
    data: {
      token_id: record.id, user_id: ownerId, name: 'deploy', username: 'ci-owner', reason: 'new_network',
      description: 'a use from 203.0.113.0/24, a network it was not used from before', ip: '203.0.113.9', network: '203.0.113.0/24', paused: false,
    },
  });
  expect(findings()).toHaveLength(1);
  // IPv6 networks are /48s.
  await use(token, '2001:db8:7:1::1');
  await use(token, '2001:db8:7:2::1');
  await h.flushAudit();
  expect(findings().map((e) => e.detail!.network)).toEqual(['203.0.113.0/24', '2001:db8:7::/48']);
});

test('rate: far above the usual rate per hour is reported once that hour', async () => {
  await setUp({ TESSERA_SUSPICIOUS_RATE_FACTOR: '10' });
  const { record, token } = await createToken();
  await learn(token);
  t = (Math.floor(t / HOUR) + 3) * HOUR;
  for (let i = 0; i < 30; i++) {
    t += 1000;
    await use(token, '198.51.100.1');
  }
  const [event] = await delivered(1);
  // Usually 2 an hour of use: 10 × 2 = 20, the floor too; the 21st use of the hour is the finding.
  expect(event!.data).toMatchObject({ token_id: record.id, reason: 'rate', uses_this_hour: 21, usual_per_hour: 2, paused: false, description: '21 uses this hour, against a usual 2 an hour of use' });
  expect(findings()).toHaveLength(1);
});

test('dormant: the first use after the dormancy period, from creation or the last use', async () => {
  await setUp({ TESSERA_SUSPICIOUS_DORMANCY: String(14 * 86_400) });
  const { record, token } = await createToken();
  t += 15 * DAY;
  await use(token, '198.51.100.1');
  t += 13 * DAY;
  await use(token, '198.51.100.1');
  t += 14 * DAY;
  await use(token, '198.51.100.1');
  const events = await delivered(2);
  expect(events.map((e) => [e.data.token_id, e.data.reason, e.data.dormant_for, e.data.description])).toEqual([
    [record.id, 'dormant', 15 * 86_400, 'the first use in 15 days'],
    [record.id, 'dormant', 14 * 86_400, 'the first use in 14 days'],
  ]);
});

test('the pause policy: the token is refused after a suspicious use until its owner resumes it', async () => {
  await setUp({ TESSERA_SUSPICIOUS_USE_ACTION: 'pause' });
  const { record, token } = await createToken(['orders:read', 'tessera:tokens']);
  await learn(token);
  t += HOUR;
  // The use that trips the rule has been answered already...
  expect((await use(token, '203.0.113.9')).body.active).toBe(true);
  await h.flushAudit();
  // ...the next ones are refused, whatever the address.
  expect((await use(token, '198.51.100.1')).body).toEqual({ active: false });
  const [event] = await delivered(1);
  expect(event!.data).toMatchObject({ reason: 'new_network', paused: true });
  const admin = `Bearer ${await h.adminToken()}`;
  const shown = await request(h.app).get(`/admin/v1/api-tokens/${record.id}`).set('Authorization', admin).expect(200);
  expect(shown.body).toMatchObject({
    status: 'active', paused_at: new Date(t).toISOString(),
    pause_reason: 'suspicious use: a use from 203.0.113.0/24, a network it was not used from before',
  });
  expect(h.audit.events.filter((e) => e.type === 'api_token.refused').at(-1)).toMatchObject({ token_id: record.id, detail: { reason: 'paused' } });

  // The owner confirms it was theirs (an admin could too); the new network is now known.
  const resumed = await request(h.app).post(`/admin/v1/api-tokens/${record.id}/resume`).set('Authorization', admin).expect(200);
  expect(resumed.body).toMatchObject({ paused_at: null, pause_reason: null });
  expect((await use(token, '203.0.113.10')).body.active).toBe(true);
  await h.flushAudit();
  expect(findings()).toHaveLength(1);
  expect(h.audit.events.filter((e) => e.type === 'api_token.paused' || e.type === 'api_token.resumed').map((e) => [e.type, e.actor])).toEqual([
    ['api_token.paused', { type: 'system', id: 'suspicious-use' }], ['api_token.resumed', { type: 'client', id: 'tessera-admin' }],
  ]);
});

test('the baseline is off the request\'s path: a store that never answers for it holds up no use; off means no baseline at all', async () => {
  await setUp();
  const { record, token } = await createToken();
  const baselines = h.ctx.store.baselines as { observe: (...args: unknown[]) => Promise<unknown> };
  const real = baselines.observe;
  let waiting = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  baselines.observe = () => { waiting++; return held.then(() => []); };
  try {
    for (let i = 0; i < 3; i++) expect((await use(token, '198.51.100.1')).body.active).toBe(true);
    // Three uses answered while the baseline writes of all three are still waiting on the store.
    expect(waiting).toBe(3);
  } finally {
    release();
    baselines.observe = real;
  }
  await h.stop();
  await receiver.close();

  await setUp({ TESSERA_SUSPICIOUS_USE_ACTION: 'off' });
  const quiet = await createToken();
  t += 60 * DAY;
  await use(quiet.token, '203.0.113.1');
  await h.flushAudit();
  expect(findings()).toEqual([]);
  expect(await h.ctx.store.baselines.get(quiet.record.id)).toBeNull();
  expect(record.id).toMatch(/^tok_/);
});
