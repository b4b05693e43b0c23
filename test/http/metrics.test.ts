/**
 * GET /metrics: what the counters say after real traffic, the gauges read
 * at scrape, the token and the separate port. Answers are checked against
 * openapi.yaml too.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { seedUserAndClient, startFamily } from '../support/users.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';
import { TesseraMetrics } from '../../src/core/metrics/metrics.js';
import { registerScrapeGauges } from '../../src/core/metrics/scrape-gauges.js';
import type { Store } from '../../src/store/store.js';

const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
// A path segment no metric value or label can contain by chance (a digits-only
// marker matched a heap gauge's value, 1123456, once).
const RAW_PATH_MARKER = 'raw-path-marker-qzxv';

/** The sample lines (no comments) of an exposition. */
const samples = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

async function scrape(h: Harness): Promise<string[]> {
  const res = await hit(request(h.app).get('/metrics'), 200);
  expect(res.headers['content-type']).toBe(PROM_CONTENT_TYPE);
  expect(res.headers['cache-control']).toBe('no-store');
  return samples(res.text);
}

describe('after real traffic', () => {
  let h: Harness;
  let lines: string[];
  let refresherId: string;

  beforeAll(async () => {
    // Three token requests per client a minute; a refresh replay is detected at once.
    h = await startHarness({ env: { TESSERA_RATE_LIMIT_CLIENT: '3/60', TESSERA_REFRESH_GRACE: '0' } });
    const { user, client: refresher } = await seedUserAndClient(h); // one admin token
    refresherId = refresher.client_id;
    const svc = await h.createClient({ client_id: 'metrics-svc', scopes: [] }); // another
    const token = (secret: string) => request(h.app).post('/oauth/token').auth('metrics-svc', secret).type('form').send({ grant_type: 'client_credentials' });
    for (let i = 0; i < 3; i++) expect((await token(svc.client_secret)).status).toBe(200);
    expect((await token(svc.client_secret)).status).toBe(429);
    expect((await token('not-the-secret')).status).toBe(401);

    const { token: refreshToken } = await startFamily(h, refresher.client_id, user.id, ['orders:read']);
    const refresh = () => request(h.app).post('/oauth/token').auth(refresher.client_id, refresher.client_secret).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect((await refresh()).status).toBe(200);
    const replay = await refresh();
    expect(replay.body.error).toBe('invalid_grant');

    expect((await request(h.app).get(`/no/such/path/${RAW_PATH_MARKER}`)).status).toBe(404);
    expect((await request(h.app).get('/admin/v1/clients')).status).toBe(401);
    lines = await scrape(h);
  });
  afterAll(async () => { await h.stop(); });

  test('tokens issued are counted by grant type and client', () => {
    expect(lines).toEqual(expect.arrayContaining([
      'tessera_tokens_issued_total{grant_type="client_credentials",client_id="tessera-admin"} 2',
      'tessera_tokens_issued_total{grant_type="client_credentials",client_id="metrics-svc"} 3',
      `tessera_tokens_issued_total{grant_type="refresh_token",client_id="${refresherId}"} 1`,
    ]));
    expect(lines.filter((l) => l.startsWith('tessera_tokens_issued_total'))).toHaveLength(3);
  });

  test('reuse detections and rate-limit refusals are counted; policies never hit read 0', () => {
    expect(lines).toEqual(expect.arrayContaining([
      'tessera_refresh_token_reuse_total 1',
      'tessera_authorization_code_reuse_total 0',
      'tessera_rate_limit_refusals_total{policy="client"} 1',
      'tessera_rate_limit_refusals_total{policy="auth_failures"} 0',
      'tessera_rate_limit_refusals_total{policy="api_token"} 0',
    ]));
  });

  test('errors are counted by routed pattern and the error code answered', () => {
    expect(lines.filter((l) => l.startsWith('tessera_errors_total')).sort()).toEqual([
      'tessera_errors_total{route="(unmatched)",error="not_found"} 1',
      'tessera_errors_total{route="/admin/v1/*",error="invalid_token"} 1',
      'tessera_errors_total{route="/oauth/token",error="invalid_client"} 1',
      'tessera_errors_total{route="/oauth/token",error="invalid_grant"} 1',
      'tessera_errors_total{route="/oauth/token",error="too_many_requests"} 1',
    ]);
  });

  test('requests are counted by method, pattern and status; the raw path never appears', () => {
    expect(lines).toEqual(expect.arrayContaining([
      'tessera_http_requests_total{method="POST",route="/oauth/token",status="200"} 6',
      'tessera_http_requests_total{method="POST",route="/oauth/token",status="400"} 1',
      'tessera_http_requests_total{method="POST",route="/oauth/token",status="401"} 1',
      'tessera_http_requests_total{method="POST",route="/oauth/token",status="429"} 1',
      'tessera_http_requests_total{method="POST",route="/admin/v1/clients",status="201"} 2',
      'tessera_http_requests_total{method="GET",route="(unmatched)",status="404"} 1',
      'tessera_http_requests_total{method="GET",route="/admin/v1/*",status="401"} 1',
    ]));
    expect(lines.join('\n')).not.toContain(RAW_PATH_MARKER);
  });

  test('the latency histograms have observations', () => {
    expect(lines).toContain('tessera_http_request_duration_seconds_count{method="POST",route="/oauth/token"} 9');
    expect(lines).toContain('tessera_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/oauth/token"} 9');
    const sum = lines.find((l) => l.startsWith('tessera_http_request_duration_seconds_sum{method="POST",route="/oauth/token"}'));
    expect(Number(sum!.split(' ')[1])).toBeGreaterThan(0);
    // The refresh and its replay: one rotate each.
    expect(lines).toContain('tessera_store_operation_duration_seconds_count{operation="refreshTokens.rotate"} 2');
    expect(lines).toContain('tessera_store_operation_duration_seconds_bucket{le="+Inf",operation="refreshTokens.rotate"} 2');
    expect(lines.some((l) => l.startsWith('tessera_store_errors_total{'))).toBe(false);
  });

  test('the store answers, and the Node.js process metrics are there', () => {
    expect(lines).toContain('tessera_store_up 1');
    expect(lines.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);
    expect(lines.some((l) => l.startsWith('nodejs_heap_size_used_bytes '))).toBe(true);
  });

  test('HEAD answers like GET; other methods are 405', async () => {
    const head = await hit(request(h.app).head('/metrics'), 200);
    expect(head.headers['content-type']).toBe(PROM_CONTENT_TYPE);
    const post = await hit(request(h.app).post('/metrics'), 405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

test('signing keys are reported by state, and follow a rotation', async () => {
  const h = await startHarness();
  try {
    expect((await scrape(h)).filter((l) => l.startsWith('tessera_signing_keys'))).toEqual([
      'tessera_signing_keys{state="next"} 1', 'tessera_signing_keys{state="active"} 1', 'tessera_signing_keys{state="retired"} 0',
    ]);
    const rotated = await request(h.app).post('/admin/v1/keys/rotate').set('Authorization', `Bearer ${await h.adminToken()}`);
    expect(rotated.status).toBe(200);
    expect((await scrape(h)).filter((l) => l.startsWith('tessera_signing_keys'))).toEqual([
      'tessera_signing_keys{state="next"} 1', 'tessera_signing_keys{state="active"} 1', 'tessera_signing_keys{state="retired"} 1',
    ]);
  } finally {
    await h.stop();
  }
});

test('API tokens expiring within 7 days are counted (revoked and later ones are not), once a minute', async () => {
  const h = await startHarness();
  try {
    const auth = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('reader', ['orders:read']);
    const owner = await h.ctx.users.create({ username: 'owner', password: 'owner-password', roles: ['reader'] });
    const create = async (expiresIn: number) => {
      const res = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', auth)
        .send({ user: owner.id, name: 'n', scopes: ['orders:read'], expires_in: expiresIn });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    await create(3600);
    await create(6 * 86_400);
    await create(30 * 86_400);
    const revoked = await create(3600);
    expect((await request(h.app).delete(`/admin/v1/api-tokens/${revoked}`).set('Authorization', auth)).status).toBe(200);

    expect(await scrape(h)).toContain('tessera_api_tokens_expiring_soon 2');
    // A new token within the minute: the cached count stands, and the store is not asked again.
    await create(3600);
    expect(await scrape(h)).toContain('tessera_api_tokens_expiring_soon 2');
    // (A scrape shows the store calls made before it: the third shows those of the first two.)
    expect(await scrape(h)).toContain('tessera_store_operation_duration_seconds_count{operation="apiTokens.countExpiring"} 1');
  } finally {
    await h.stop();
  }
});

test('with the store unreachable, the scrape still answers: store_up 0 and the failed operations counted', async () => {
  const h = await startHarness();
  try {
    await h.ctx.store.close();
    const res = await request(h.app).post('/oauth/token').auth('tessera-admin', 'whatever').type('form').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(503);
    const lines = await scrape(h);
    expect(lines).toContain('tessera_store_up 0');
    expect(lines).toContain('tessera_store_errors_total{operation="rateLimits.peek"} 1');
    expect(lines).toContain('tessera_errors_total{route="/oauth/token",error="temporarily_unavailable"} 1');
    expect(lines).toContain('tessera_api_tokens_expiring_soon 0');
  } finally {
    await h.stop();
  }
});

describe('scrape-time gauges', () => {
  const DAY = 86_400_000;
  const fakeStore = (countExpiring: (now: number, until: number) => Promise<number>, ping: () => Promise<void> = async () => undefined) =>
    ({ ping, evictionPolicy: async () => null, apiTokens: { countExpiring }, webhooks: { counts: async () => ({ pending: 2, dead: 1 }) } }) as unknown as Pick<Store, 'ping' | 'evictionPolicy' | 'apiTokens' | 'webhooks'>;
  const gauge = async (m: TesseraMetrics, name: string) => samples(await m.registry.metrics()).find((l) => l.startsWith(`${name} `));

  test('the expiring-soon count asks the store for the next 7 days at most once a minute, once for concurrent scrapes', async () => {
    let t = 1_700_000_000_000;
    const asked: Array<[number, number]> = [];
    const m = new TesseraMetrics();
    registerScrapeGauges(m, { keys: { list: () => [] }, store: fakeStore(async (now, until) => { asked.push([now, until]); return asked.length * 10; }), now: () => t });
    await Promise.all([m.registry.metrics(), m.registry.metrics()]);
    expect(asked).toEqual([[t, t + 7 * DAY]]);
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 10');
    t += 59_999;
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 10');
    t += 1;
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 20');
    expect(asked).toHaveLength(2);
  });

  test('a store that fails keeps the last count and is asked again at the next scrape', async () => {
    let t = 0;
    let answer: number | Error = 4;
    let asked = 0;
    const m = new TesseraMetrics();
    const count = async () => { asked++; if (answer instanceof Error) throw answer; return answer; };
    registerScrapeGauges(m, { keys: { list: () => [] }, store: fakeStore(count), now: () => t });
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 4');
    answer = new Error('down');
    t += 60_000;
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 4');
    answer = 5;
    t += 1;
    expect(await gauge(m, 'tessera_api_tokens_expiring_soon')).toBe('tessera_api_tokens_expiring_soon 5');
    expect(asked).toBe(3);
  });

  test('a ping that never answers is store_up 0 within about a second', async () => {
    const m = new TesseraMetrics();
    registerScrapeGauges(m, { keys: { list: () => [] }, store: fakeStore(async () => 0, () => new Promise<void>(() => undefined)) });
    const started = Date.now();
    expect(await gauge(m, 'tessera_store_up')).toBe('tessera_store_up 0');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('TESSERA_METRICS_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ env: { TESSERA_METRICS_TOKEN: METRICS_TOKEN } }); });
  afterAll(async () => { await h.stop(); });

  test('no token: 401 with a Bearer challenge of the metrics realm and no error code (RFC 6750 §3.1)', async () => {
    const res = await hit(request(h.app).get('/metrics'), 401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'a bearer token is required for the metrics' });
  });

  test('a wrong token, or one differing in the last character: 401 invalid_token', async () => {
    for (const wrong of ['nope', `${METRICS_TOKEN.slice(0, -1)}X`, `${METRICS_TOKEN}X`]) {
      const res = await hit(request(h.app).get('/metrics').set('Authorization', `Bearer ${wrong}`), 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics", error="invalid_token", error_description="the metrics token is not valid"');
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'the metrics token is not valid' });
    }
  });

  test('another scheme: 400 invalid_request', async () => {
    const res = await hit(request(h.app).get('/metrics').auth('prometheus', METRICS_TOKEN), 400);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics", error="invalid_request", error_description="the Authorization header is not a Bearer token"');
    expect(res.body.error).toBe('invalid_request');
  });

  test('the token: 200 with the metrics', async () => {
    const res = await hit(request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`), 200);
    expect(res.headers['content-type']).toBe(PROM_CONTENT_TYPE);
    expect(samples(res.text)).toContain('tessera_store_up 1');
  });

  test('the rest of the API keeps its own realm', async () => {
    const res = await request(h.app).get('/admin/v1/clients');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
  });
});

describe('TESSERA_METRICS_PORT', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ env: { TESSERA_METRICS_PORT: '9464', TESSERA_METRICS_TOKEN: METRICS_TOKEN } }); });
  afterAll(async () => { await h.stop(); });

  test('the main app answers 404 for /metrics, as for any unknown path', async () => {
    const res = await hit(request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`), 404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    expect((await request(h.app).post('/metrics')).status).toBe(404);
  });

  test('the metrics app serves /metrics, with the token rule, and nothing else', async () => {
    expect((await request(h.metricsApp).get('/metrics')).status).toBe(401);
    const res = await request(h.metricsApp).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(PROM_CONTENT_TYPE);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(samples(res.text)).toContain('tessera_store_up 1');
    const other = await request(h.metricsApp).get('/oauth/token');
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    expect((await request(h.metricsApp).get('/.well-known/jwks.json')).status).toBe(404);
    const post = await request(h.metricsApp).post('/metrics');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

test('every documented answer of GET /metrics was exercised', () => {
  expect(unexercised((op) => op.path === '/metrics')).toEqual({ operations: [], responses: [] });
});
