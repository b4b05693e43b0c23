/**
 * The console's operations in openapi.yaml, driven through each status they
 * document, every answer checked against the spec; the last test fails if a
 * documented (operation, status) under /console was never exercised. The
 * pages themselves are driven in Chromium by test/interop/console-browser.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { ensureBuilt } from '../support/build.js';
import { consoleCode } from '../support/console-sign-in.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';
import { consoleRoutes } from '../../src/http/console/console-routes.js';
import { errorHandler } from '../../src/http/error-response.js';
import { requestFrame } from '../../src/http/request-context.js';

type Listening = Harness & { url: string };
let h: Listening;

beforeAll(async () => {
  await ensureBuilt('dist/console/index.html', 'dist/console/assets/console.js');
  // The console client's allowance at the token endpoint: enough for this file's sign-ins, then 429.
  h = await startListeningHarness({ env: { TESSERA_RATE_LIMIT_CLIENT: '8/3600' } });
  await h.ctx.users.putRole('admin', ['tessera:admin', 'tessera:tokens']);
  await h.ctx.users.create({ username: 'oa-ada', password: 'ada-password-1', roles: ['admin'] });
});
afterAll(async () => { await h?.stop(); });

const CSRF = { 'X-Tessera-Console': '1' };

const code = () => consoleCode(h.url, 'oa-ada', 'ada-password-1', 'tessera:admin offline_access');

const sessionCookie = (res: request.Response) =>
  ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? [])[0]?.split(';')[0] ?? '';

describe('pages and assets', () => {
  test('GET /console and /console/callback: 200; other methods 405', async () => {
    await hit(request(h.app).get('/console'), 200);
    await hit(request(h.app).get('/console/callback'), 200);
    await hit(request(h.app).post('/console'), 405);
    await hit(request(h.app).put('/console/callback'), 405);
  });

  test('an asset: 200; an unknown one 404; other methods 405', async () => {
    await hit(request(h.app).get('/console/assets/console.js'), 200);
    await hit(request(h.app).get('/console/assets/nothing.js'), 404);
    await hit(request(h.app).delete('/console/assets/console.js'), 405);
  });

  test('a console that was not built answers its pages 404', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'tessera-console-'));
    try {
      // The app's own frame (headers, request id) around a console router over an empty dist.
      const app = express()
        .use(requestFrame({ logger: h.ctx.logger, metrics: h.ctx.metrics }))
        .use(consoleRoutes(h.ctx, empty))
        .use(errorHandler(h.ctx.logger));
      await hit(request(app).get('/console'), 404);
      await hit(request(app).get('/console/callback'), 404);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('the session endpoints', () => {
  test('sign-in 200, refresh 200, sign-out 204', async () => {
    const signIn = await hit(request(h.app).post('/console/session').set(CSRF).send(await code()), 200);
    const refreshed = await hit(request(h.app).post('/console/session/refresh').set(CSRF).set('Cookie', sessionCookie(signIn)), 200);
    await hit(request(h.app).delete('/console/session').set(CSRF).set('Cookie', sessionCookie(refreshed)), 204);
  });

  test('400: a malformed body, no CSRF header, no session; 405 for other methods', async () => {
    await hit(request(h.app).post('/console/session').set(CSRF).send({ code: 'x' }), 400);
    await hit(request(h.app).delete('/console/session'), 400);
    await hit(request(h.app).post('/console/session/refresh').set(CSRF), 400);
    await hit(request(h.app).put('/console/session'), 405);
    await hit(request(h.app).get('/console/session/refresh'), 405);
  });

  test('413 for a body over 4 KB; 415 for a JSON body in a charset it cannot read', async () => {
    await hit(request(h.app).post('/console/session').set(CSRF).send({ code: 'x'.repeat(5000), code_verifier: 'v'.repeat(43) }), 413);
    await hit(request(h.app).post('/console/session').set(CSRF).set('Content-Type', 'application/json; charset=klingon').send('{}'), 415);
  });

  test('429 once the console client has spent its allowance at the token endpoint', async () => {
    const signIn = await hit(request(h.app).post('/console/session').set(CSRF).send(await code()), 200);
    let cookie = sessionCookie(signIn);
    let res: request.Response;
    // Each sign-in and refresh spends one of the client's 8 requests an hour.
    for (let i = 0; ; i++) {
      res = await request(h.app).post('/console/session/refresh').set(CSRF).set('Cookie', cookie);
      if (res.status !== 200) break;
      cookie = sessionCookie(res);
      expect(i).toBeLessThan(8);
    }
    await hit(Promise.resolve(res), 429);
    await hit(request(h.app).post('/console/session').set(CSRF).send({ code: 'not-a-code', code_verifier: 'v'.repeat(43) }), 429);
  });

  test('503 with the store unreachable', async () => {
    const other = await startListeningHarness();
    try {
      await other.ctx.store.close();
      const inOther = (req: request.Test) => req.set(CSRF);
      await hit(inOther(request(other.app).post('/console/session').send({ code: 'a-code', code_verifier: 'v'.repeat(43) })), 503);
      await hit(inOther(request(other.app).post('/console/session/refresh').set('Cookie', 'tessera_console=tsr_x')), 503);
      await hit(inOther(request(other.app).delete('/console/session').set('Cookie', 'tessera_console=tsr_x')), 503);
    } finally {
      await other.stop().catch(() => undefined);
    }
  });
});

test('every documented status of the console operations was exercised', () => {
  const missing = unexercised((op) => op.path.startsWith('/console'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
