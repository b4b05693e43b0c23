/**
 * With REDIS_URL, clients, the keys' state, API tokens and the revocation list survive a
 * restart of the server process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { printedAdminSecret, startServer, type RunningServer } from '../support/process.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';

let dir: string;
let prefix: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-restart-'));
  prefix = testRedisPrefix('restart');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const redis = new Redis(testRedisUrl());
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
});

const form = (s: RunningServer, p: string, body: string, basic: [string, string]) =>
  fetch(`${s.url}${p}`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(basic.join(':')).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });

test('clients, key states, bootstrap clients, API tokens and revocations survive a restart', async () => {
  const file = path.join(dir, 'tessera.json');
  await writeFile(file, JSON.stringify({
    roles: { reader: ['r'] },
    users: [{ username: 'alice', password: 'alice-password-1', roles: ['reader'] }],
    clients: [
      { client_id: 'from-file', client_secret: 'file-client-secret-123', scopes: ['f'] },
      { client_id: 'swapper', client_secret: 'swapper-secret-12345', grant_types: [EXCHANGE], scopes: ['r'] },
    ],
  }));
  const env = { TESSERA_ISSUER: 'https://tessera.example.com', TESSERA_KEYS_DIR: path.join(dir, 'keys'), REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_CONFIG: file };

  const first = await startServer(env);
  let adminSecret: string;
  let created: { client_id: string; client_secret: string };
  let revokedToken: string;
  let liveToken: string;
  let keysBefore: unknown;
  let apiToken: string;
  let revokedApiToken: string;
  try {
    adminSecret = printedAdminSecret(first.stdout())!;
    expect(adminSecret).toBeTruthy();
    const adminTok = ((await (await form(first, '/oauth/token', 'grant_type=client_credentials', ['tessera-admin', adminSecret])).json()) as { access_token: string }).access_token;
    const auth = { Authorization: `Bearer ${adminTok}`, 'Content-Type': 'application/json' };
    created = (await (await fetch(`${first.url}/admin/v1/clients`, { method: 'POST', headers: auth, body: JSON.stringify({ client_id: 'survivor', scopes: ['s'] }) })).json()) as typeof created;
    expect((await fetch(`${first.url}/admin/v1/keys/rotate`, { method: 'POST', headers: auth })).status).toBe(200);
    keysBefore = await (await fetch(`${first.url}/admin/v1/keys`, { headers: auth })).json();

    revokedToken = ((await (await form(first, '/oauth/token', 'grant_type=client_credentials', ['survivor', created.client_secret])).json()) as { access_token: string }).access_token;
    liveToken = ((await (await form(first, '/oauth/token', 'grant_type=client_credentials', ['survivor', created.client_secret])).json()) as { access_token: string }).access_token;
    expect((await form(first, '/oauth/revoke', `token=${revokedToken}`, ['survivor', created.client_secret])).status).toBe(200);

    const newApiToken = async () => ((await (await fetch(`${first.url}/admin/v1/api-tokens`, {
      method: 'POST', headers: auth, body: JSON.stringify({ user: 'alice', name: 'survivor', scopes: ['r'] }),
    })).json()) as { id: string; token: string });
    apiToken = (await newApiToken()).token;
    const doomed = await newApiToken();
    revokedApiToken = doomed.token;
    expect((await fetch(`${first.url}/admin/v1/api-tokens/${doomed.id}`, { method: 'DELETE', headers: auth })).status).toBe(200);
  } finally {
    expect(await first.stop()).toBe(0);
  }

  const second = await startServer(env);
  try {
    // tessera-admin already exists: no new secret printed.
    expect(printedAdminSecret(second.stdout())).toBeNull();
    const introspect = async (tok: string) =>
      (await (await form(second, '/oauth/introspect', `token=${tok}`, ['survivor', created.client_secret])).json()) as { active: boolean };
    expect((await introspect(revokedToken)).active).toBe(false);
    expect((await introspect(liveToken)).active).toBe(true);
    expect((await form(second, '/oauth/token', 'grant_type=client_credentials', ['from-file', 'file-client-secret-123'])).status).toBe(200);
    const swap = (t: string) => form(second, '/oauth/token', `grant_type=${encodeURIComponent(EXCHANGE)}&subject_token=${t}&subject_token_type=${encodeURIComponent(API_TOKEN_TYPE)}`, ['swapper', 'swapper-secret-12345']);
    expect((await swap(apiToken)).status).toBe(200);
    expect((await swap(revokedApiToken)).status).toBe(400);
    const adminTok = ((await (await form(second, '/oauth/token', 'grant_type=client_credentials', ['tessera-admin', adminSecret])).json()) as { access_token: string }).access_token;
    const keysAfter = await (await fetch(`${second.url}/admin/v1/keys`, { headers: { Authorization: `Bearer ${adminTok}` } })).json();
    expect(keysAfter).toEqual(keysBefore);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
