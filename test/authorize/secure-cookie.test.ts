/** With an https issuer the request cookie is Secure (the browser binding must not leak over plain HTTP). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { createTessera, type Tessera } from '../../src/server.js';
import { authorizeQuery, callback, pkce, REDIRECT } from './flow.js';

const ISSUER = 'https://login.example.com';
let t: Tessera;
let keysDir: string;
beforeAll(async () => {
  keysDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-'));
  const config = loadConfig({ TESSERA_KEYS_DIR: keysDir, TESSERA_BOOTSTRAP_ADMIN_SECRET: 'admin-secret-for-tests-0123456789', TESSERA_KEYS_POLL_INTERVAL: '0', TESSERA_LOG_LEVEL: 'silent' });
  const store = await createStore({ prefix: 'tessera-secure-cookie:' });
  t = await createTessera(config, { issuer: ISSUER, logger: pino({ level: 'silent' }), store });
  await t.ctx.clients.create({ client_id: 'spa', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
});
afterAll(async () => {
  await t.close();
  await rm(keysDir, { recursive: true, force: true });
});

test('the login page sets a Secure, HttpOnly, SameSite=Lax cookie on /oauth', async () => {
  const res = await request(t.app).get('/oauth/authorize').query(authorizeQuery('spa', pkce().challenge));
  expect(res.status).toBe(200);
  expect(res.headers['set-cookie']![0]).toMatch(/^tessera_authz=[A-Za-z0-9_-]+; Max-Age=600; Path=\/oauth; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
});

test('error redirects carry this issuer as iss (RFC 9207)', async () => {
  const res = await request(t.app).get('/oauth/authorize').query(authorizeQuery('spa', pkce().challenge, { code_challenge_method: 'plain' }));
  expect(res.status).toBe(303);
  expect(callback(res.headers.location!).get('iss')).toBe(ISSUER);
});
