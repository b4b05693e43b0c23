/**
 * GET /: the page a person finds at the server's address. HTML for a
 * browser, JSON otherwise, naming the endpoints and the next steps.
 */
import request from 'supertest';
import { startHarness, ISSUER, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

const NEXT_STEPS = [
  `Get an admin token with the secret printed at the first start: curl -u tessera-admin:SECRET -d grant_type=client_credentials -d scope=tessera:admin ${ISSUER}/oauth/token`,
  `Or log the command line in: npx -p @tessera-auth/server tessera login --url ${ISSUER} --client-id tessera-admin`,
  'Then create clients, users and API tokens: the README\'s quick start walks through it, and openapi.yaml in the package describes every endpoint.',
];

test('curl and scripts get JSON naming every endpoint and the next steps', async () => {
  const res = await request(h.app).get('/');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers.vary).toBe('Accept');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual({
    name: 'Tessera',
    issuer: ISSUER,
    endpoints: {
      metadata: `${ISSUER}/.well-known/oauth-authorization-server`,
      jwks: `${ISSUER}/.well-known/jwks.json`,
      token: `${ISSUER}/oauth/token`,
      authorization: `${ISSUER}/oauth/authorize`,
      introspection: `${ISSUER}/oauth/introspect`,
      revocation: `${ISSUER}/oauth/revoke`,
      admin: `${ISSUER}/admin/v1`,
      liveness: `${ISSUER}/healthz`,
      readiness: `${ISSUER}/readyz`,
      metrics: `${ISSUER}/metrics`,
    },
    next_steps: NEXT_STEPS,
  });
});

test('a browser gets a small page with the same endpoints and steps, no script, under the login pages\' CSP', async () => {
  const res = await request(h.app).get('/').set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'self';/);
  expect(res.text).toContain('<title>Tessera</title>');
  expect(res.text).toContain(`<p class="lead">This token server is running. Its issuer is <code>${ISSUER}</code>.</p>`);
  expect(res.text).toContain(`<li><strong>token</strong>: <code>${ISSUER}/oauth/token</code></li>`);
  expect(res.text).toContain(`<li><strong>readiness</strong>: <code>${ISSUER}/readyz</code></li>`);
  expect(res.text).toContain(`<li>${NEXT_STEPS[1]}</li>`);
  expect(res.text).toContain(`<li>${NEXT_STEPS[2]!.replace("'", '&#39;')}</li>`);
  expect(res.text).not.toMatch(/<script/i);
});

test('HEAD answers like GET without a body; other methods get 405 with Allow', async () => {
  const head = await request(h.app).head('/');
  expect(head.status).toBe(200);
  const post = await request(h.app).post('/');
  expect(post.status).toBe(405);
  expect(post.headers.allow).toBe('GET, HEAD');
});

test('with /metrics on its own port, the page does not list it here', async () => {
  const other = await startHarness({ env: { TESSERA_METRICS_PORT: '0' } });
  try {
    const res = await request(other.app).get('/');
    expect(res.body.endpoints.metrics).toBeUndefined();
  } finally {
    await other.stop();
  }
});
