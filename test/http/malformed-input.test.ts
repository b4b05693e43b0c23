/**
 * No input, however malformed, gets a 500 or a stack trace (contract). Each
 * case asserts its exact status and error code, and every answer is checked
 * for the generic properties.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let c: { client_id: string; client_secret: string };
let adminAuth: string;
beforeAll(async () => {
  h = await startHarness();
  c = await h.createClient({ client_id: 'mal', scopes: ['a'] });
  adminAuth = `Bearer ${await h.adminToken()}`;
});
afterAll(async () => { await h.stop(); });

function expectClean(res: request.Response, status: number, error: string) {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.text).not.toMatch(/at .+\.(js|ts):\d+|Error:|stack/);
}

const FORM_ENDPOINTS = ['/oauth/token', '/oauth/revoke', '/oauth/introspect'];

describe.each(FORM_ENDPOINTS)('%s', (path) => {
  const post = () => request(h.app).post(path);

  test('JSON where a form is expected is 400 invalid_request', async () => {
    expectClean(await post().auth(c.client_id, c.client_secret).send({ grant_type: 'client_credentials', token: 'x' }), 400, 'invalid_request');
  });

  test('text/plain is 400 invalid_request', async () => {
    expectClean(await post().auth(c.client_id, c.client_secret).set('Content-Type', 'text/plain').send('grant_type=client_credentials'), 400, 'invalid_request');
  });

  test('no body and no content type is 400 invalid_request', async () => {
    expectClean(await post().auth(c.client_id, c.client_secret), 400, 'invalid_request');
  });

  test('an oversized body is 413', async () => {
    const res = await post().auth(c.client_id, c.client_secret).type('form').send(`grant_type=client_credentials&token=${'a'.repeat(20_000)}`);
    expectClean(res, 413, 'invalid_request');
  });

  test('an unknown charset is 415', async () => {
    const res = await post().auth(c.client_id, c.client_secret).set('Content-Type', 'application/x-www-form-urlencoded; charset=klingon').send('token=x');
    expectClean(res, 415, 'invalid_request');
  });

  test('an unsupported Content-Encoding is 415', async () => {
    const res = await post().auth(c.client_id, c.client_secret).set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'bogus').send('token=x');
    expectClean(res, 415, 'invalid_request');
  });

  test('a bad gzip body is 400', async () => {
    const res = await post().auth(c.client_id, c.client_secret).set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'gzip').send('not gzip');
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  test('non-UTF-8 bytes do not break the parser', async () => {
    const res = await post().auth(c.client_id, c.client_secret).set('Content-Type', 'application/x-www-form-urlencoded')
      .send(Buffer.from([0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, 0xff, 0xfe, 0x25, 0x80, 0x26, 0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xc3]));
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toBeDefined();
  });

  test('bad percent-encoding does not break the parser', async () => {
    const res = await post().auth(c.client_id, c.client_secret).type('form').send('grant_type=%E0%A4%A&token=%ZZ&scope=%');
    expect(res.status).toBeLessThan(500);
  });

  test('a repeated parameter is 400 invalid_request', async () => {
    expectClean(await post().auth(c.client_id, c.client_secret).type('form').send('token=a&token=b&grant_type=x&grant_type=y'), 400, 'invalid_request');
  });

  test('more than 100 parameters is 400 invalid_request', async () => {
    const body = Array.from({ length: 150 }, (_, i) => `p${i}=1`).join('&');
    expectClean(await post().auth(c.client_id, c.client_secret).type('form').send(body), 400, 'invalid_request');
  });

  test.each([
    ['a scheme that is not Basic', 'Digest abc'],
    ['Basic with no credentials', 'Basic'],
    ['Basic with bad base64', 'Basic !!!!'],
    ['Basic with no colon', `Basic ${Buffer.from('justanid').toString('base64')}`],
    ['Basic with an empty id', `Basic ${Buffer.from(':secret').toString('base64')}`],
    ['Basic with bad percent-encoding', `Basic ${Buffer.from('mal:%ZZ').toString('base64')}`],
    ['Basic with non-UTF-8 bytes', `Basic ${Buffer.from([0x6d, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['a huge Basic header', `Basic ${'A'.repeat(6000)}`],
  ])('%s is 401 invalid_client', async (_name, header) => {
    const res = await post().set('Authorization', header).type('form').send('grant_type=client_credentials&token=x');
    expectClean(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="tessera"/);
  });

  test('Basic credentials are form-decoded per RFC 6749 §2.3.1 (+ is a space, %XX escapes)', async () => {
    const id = `enc.${path.split('/').pop()}`;
    const secret = 'a+b%c d-chosen-secret';
    await request(h.app).post('/admin/v1/clients').set('Authorization', adminAuth).send({ client_id: id, client_secret: secret }).expect(201);
    const encoded = encodeURIComponent(secret).replace(/%20/g, '+');
    const basic = Buffer.from(`${id}:${encoded}`).toString('base64');
    const res = await post().set('Authorization', `Basic ${basic}`).type('form').send('grant_type=client_credentials&token=x');
    expect(res.status).toBe(200);
  });
});

describe('admin API', () => {
  test.each([
    ['broken JSON', '{"client_id":', 400],
    ['a JSON array', '[1,2]', 400],
    ['a JSON string', '"x"', 400],
    ['null', 'null', 400],
    ['deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`, 400],
  ])('%s as a body is a clean 400', async (_name, body, status) => {
    const res = await request(h.app).post('/admin/v1/clients').set('Authorization', adminAuth).set('Content-Type', 'application/json').send(body);
    expectClean(res, status as number, 'invalid_request');
  });

  test('an oversized JSON body is 413', async () => {
    const res = await request(h.app).post('/admin/v1/clients').set('Authorization', adminAuth).send({ name: 'x'.repeat(70_000) });
    expectClean(res, 413, 'invalid_request');
  });

  test('wrong JSON types are 400', async () => {
    expectClean(await request(h.app).post('/admin/v1/clients').set('Authorization', adminAuth).send({ scopes: 'a', public: 'yes' }), 400, 'invalid_request');
  });

  test('__proto__ keys do not pollute anything', async () => {
    const res = await request(h.app).post('/admin/v1/clients').set('Authorization', adminAuth).set('Content-Type', 'application/json').send('{"__proto__":{"admin":true},"client_id":"proto"}');
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('a bad percent-encoded path is a clean 4xx', async () => {
    const res = await request(h.app).get('/admin/v1/clients/%E0%A4%A').set('Authorization', adminAuth);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toBeDefined();
  });

  test.each([
    ['a bare scheme', 'Bearer'],
    ['a scheme and a space', 'Bearer '],
    ['two tokens', 'bearer x y'],
    ['a 9000-character token', `Bearer ${'a'.repeat(9000)}`],
    ['two JWT segments', 'Bearer a.b'],
    ['only dots', 'Bearer ....'],
  ])('Authorization with %s is a clean 4xx', async (_name, header) => {
    const res = await request(h.app).get('/admin/v1/clients').set('Authorization', header);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera"/);
  });
});

describe('raw HTTP', () => {
  test('a request line with a bad path and odd methods never get a 500', async () => {
    const server = http.createServer(h.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const send = (method: string, path: string) =>
      new Promise<number>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', () => resolve(400));
        req.end();
      });
    try {
      for (const [method, path] of [['GET', '/%'], ['GET', '/oauth/%FF%FE'], ['PUT', '/oauth/token'], ['DELETE', '/.well-known/jwks.json'], ['OPTIONS', '/oauth/token'], ['GET', '/..%2f..%2fetc/passwd'], ['GET', '/admin/v1/clients/%00']]) {
        const status = await send(method!, path!);
        expect({ method, path, ok: status >= 200 && status < 500 }).toEqual({ method, path, ok: true });
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('API tokens and leak reports', () => {
  const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

  test('/oauth/leaked: oversized 413, unknown charset 415, broken JSON 400, wrong shapes 400', async () => {
    const post = () => request(h.app).post('/oauth/leaked');
    expectClean(await post().set('Content-Type', 'application/json').send(`{"tokens":["${'a'.repeat(300_000)}"]}`), 413, 'invalid_request');
    expectClean(await post().set('Content-Type', 'application/json; charset=klingon').send('{"tokens":["x"]}'), 415, 'invalid_request');
    expectClean(await post().set('Content-Type', 'application/json').send('{"tokens":[1,'), 400, 'invalid_request');
    for (const body of ['[]', 'null', '"tsp_x"', '{"tokens":[null]}', '{"tokens":[{"a":1}]}', `{"tokens":["${'x'.repeat(513)}"]}`, '{"__proto__":{"tokens":["x"]}}']) {
      expectClean(await post().set('Content-Type', 'application/json').send(body), 400, 'invalid_request');
    }
  });

  test('token exchange with odd subject tokens is a clean 400', async () => {
    const x = await h.createClient({ grant_types: [EXCHANGE], scopes: ['a'] });
    for (const subject of ['tsp_' + 'é'.repeat(38), 'tsp_'.repeat(2000), '\u0000', 'tsp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000']) {
      const res = await request(h.app).post('/oauth/token').auth(x.client_id, x.client_secret).type('form')
        .send({ grant_type: EXCHANGE, subject_token: subject, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
      expectClean(res, 400, 'invalid_request');
    }
  });

  test('admin API token create with wrong types, huge numbers or odd ids is a clean 400 or 404', async () => {
    const post = (body: unknown) => request(h.app).post('/admin/v1/api-tokens').set('Authorization', adminAuth).send(body as object);
    for (const body of [
      { user: ['a'], name: 'n', scopes: ['a'] }, { user: 'a', name: 'n', scopes: 'a' }, { user: 'a', name: 'n', scopes: ['a'], expires_in: 1e308 },
      { user: 'a', name: 'n', scopes: ['a'], expires_in: 3.5 }, { user: 'a', name: 'n', scopes: ['a'], allowed_ips: [7] },
      { user: 'a', name: 'n', scopes: ['a'], rate_limit: [] }, { user: 'a', name: 'n', scopes: ['a'], expires_at: '2026-13-45T99:00:00Z' },
    ]) expectClean(await post(body), 400, 'invalid_request');
    expectClean(await post({ user: 'a', name: 'n', scopes: ['a'], expires_in: 1e12 }), 400, 'invalid_request');
    expectClean(await request(h.app).get(`/admin/v1/api-tokens/${'tok_'.padEnd(5000, 'x')}`).set('Authorization', adminAuth), 404, 'not_found');
    expectClean(await request(h.app).get('/admin/v1/api-tokens/%E0%A4%A').set('Authorization', adminAuth), 400, 'invalid_request');
    expectClean(await request(h.app).get('/admin/v1/api-tokens?expiring_within=99999999999999').set('Authorization', adminAuth), 400, 'invalid_request');
  });
});
