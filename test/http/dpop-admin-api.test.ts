/**
 * A DPoP-bound token at Tessera's own APIs (RFC 9449 §7): the admin API and
 * /v1/me take it only with the DPoP scheme and a proof of its key; every
 * refusal is 401 with a `DPoP` challenge.
 */
import request from 'supertest';
import { ADMIN_SECRET, ISSUER, startHarness, type Harness } from '../support/harness.js';
import { dpopKey, proof, type DpopKey } from '../support/dpop.js';

let h: Harness;
let key: DpopKey;
let bound: string;
beforeAll(async () => {
  h = await startHarness();
  key = await dpopKey('EdDSA');
  const res = await request(h.app).post('/oauth/token').auth('tessera-admin', ADMIN_SECRET).type('form')
    .set('DPoP', await proof(key, { htm: 'POST', htu: `${ISSUER}/oauth/token` }))
    .send({ grant_type: 'client_credentials', scope: 'tessera:admin' });
  expect(res.body.token_type).toBe('DPoP');
  bound = res.body.access_token;
});
afterAll(async () => { await h.stop(); });

const URL_CLIENTS = `${ISSUER}/admin/v1/clients`;
const challenge = (error: string) => new RegExp(`^DPoP realm="tessera", error="${error}", error_description="[^"]+", algs="ES256 [^"]*EdDSA[^"]*"$`);

test('with the DPoP scheme and a proof of its key, the bound token works', async () => {
  const res = await request(h.app).get('/admin/v1/clients?limit=5').set('Authorization', `DPoP ${bound}`)
    .set('DPoP', await proof(key, { htm: 'GET', htu: URL_CLIENTS, accessToken: bound }));
  expect(res.status).toBe(200);
  expect(res.body.items.map((c: { client_id: string }) => c.client_id)).toContain('tessera-admin');
});

test('sent as a Bearer token it is refused, with a DPoP challenge (RFC 9449 §7.2)', async () => {
  const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${bound}`);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'invalid_token', error_description: 'this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof' });
  expect(res.headers['www-authenticate']).toMatch(challenge('invalid_token'));
});

test('without a proof, with a proof for another method, URL or token, by another key, or replayed: invalid_dpop_proof', async () => {
  const other = await dpopKey();
  const replayed = await proof(key, { htm: 'GET', htu: URL_CLIENTS, accessToken: bound });
  const ok = await request(h.app).get('/admin/v1/clients').set('Authorization', `DPoP ${bound}`).set('DPoP', replayed);
  expect(ok.status).toBe(200);
  const cases: Array<[string, string | undefined, string]> = [
    ['none', undefined, 'a DPoP-bound token needs a DPoP proof'],
    ['method', await proof(key, { htm: 'POST', htu: URL_CLIENTS, accessToken: bound }), "the DPoP proof's htm is not this request's method"],
    ['url', await proof(key, { htm: 'GET', htu: `${ISSUER}/admin/v1/users`, accessToken: bound }), "the DPoP proof's htu is not this request's URL"],
    ['no ath', await proof(key, { htm: 'GET', htu: URL_CLIENTS }), "the DPoP proof's ath is not the hash of this access token"],
    ['other token', await proof(key, { htm: 'GET', htu: URL_CLIENTS, accessToken: 'another.token.value' }), "the DPoP proof's ath is not the hash of this access token"],
    ['other key', await proof(other, { htm: 'GET', htu: URL_CLIENTS, accessToken: bound }), 'the DPoP proof is not made with the key the token is bound to'],
    ['replay', replayed, 'this DPoP proof was used already; make a new one for each request'],
  ];
  for (const [what, p, description] of cases) {
    const req = request(h.app).get('/admin/v1/clients').set('Authorization', `DPoP ${bound}`);
    if (p !== undefined) req.set('DPoP', p);
    const res = await req;
    expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 401, body: { error: 'invalid_dpop_proof', error_description: description } });
    expect(res.headers['www-authenticate']).toMatch(challenge('invalid_dpop_proof'));
  }
});

test('an unbound token sent with the DPoP scheme is refused', async () => {
  const plain = await h.adminToken();
  const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `DPoP ${plain}`);
  expect(res.status).toBe(401);
  expect(res.body.error_description).toBe('this token is not DPoP-bound: send it with the Bearer scheme');
  expect(res.headers['www-authenticate']).toMatch(challenge('invalid_token'));
});

test('a bound token without the needed scope is 403 with a DPoP challenge', async () => {
  const svc = await h.createClient({ client_id: 'plain-svc', scopes: ['orders:read'] });
  const res = await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
    .set('DPoP', await proof(key, { htm: 'POST', htu: `${ISSUER}/oauth/token` }))
    .send({ grant_type: 'client_credentials' });
  const t = res.body.access_token as string;
  const denied = await request(h.app).get('/admin/v1/clients').set('Authorization', `DPoP ${t}`)
    .set('DPoP', await proof(key, { htm: 'GET', htu: URL_CLIENTS, accessToken: t }));
  expect(denied.status).toBe(403);
  expect(denied.headers['www-authenticate']).toMatch(/^DPoP realm="tessera", error="insufficient_scope", error_description="[^"]+", scope="tessera:admin", algs="[^"]+"$/);
});
