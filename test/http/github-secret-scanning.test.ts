/**
 * Leak reports in the format of GitHub's secret-scanning partner program,
 * with a P-256 key pair the test makes (as GitHub's own): a valid
 * signature revokes the live tokens and labels each match; an invalid one
 * (another key, an altered body, an unknown key identifier, no header)
 * revokes nothing. The keys come from a file or a URL, and a key GitHub
 * adds later is picked up without a restart.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';
import { seedUserAndClient, startFamily } from '../support/users.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';

interface GithubKey { id: string; privateKey: KeyObject; pem: string }
function githubKey(id: string): GithubKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}
const keysDocument = (...keys: GithubKey[]) => JSON.stringify({ public_keys: keys.map((k, i) => ({ key_identifier: k.id, key: k.pem, is_current: i === 0 })) });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let dir: string;
let keysFile: string;
let h: Harness;
let t: number;
const GH = githubKey('f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-github-keys-'));
  keysFile = path.join(dir, 'secret_scanning.json');
  await writeFile(keysFile, keysDocument(GH));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });
afterEach(async () => { await h?.stop(); });

async function start(keys: string | null = keysFile): Promise<void> {
  t = Date.now();
  h = await startHarness({ now: () => t, env: keys === null ? {} : { TESSERA_SECRET_SCANNING_KEYS: keys } });
}

/** POSTs `body` as GitHub does, signed by `key` (or with the headers given). */
function report(body: string, key: GithubKey | null = GH, headers: Record<string, string> = {}) {
  const req = request(h.app).post('/oauth/leaked/github').set('Content-Type', 'application/json');
  if (key) req.set('Github-Public-Key-Identifier', key.id).set('Github-Public-Key-Signature', sign('sha256', Buffer.from(body), key.privateKey).toString('base64'));
  return req.set(headers).send(body);
}
const matches = (...tokens: string[]) => JSON.stringify(tokens.map((token) => ({
  token, type: token.startsWith('tsr_') ? 'tessera_refresh_token' : 'tessera_api_token', url: 'https://github.com/octo/app/blob/1a2b/.env', source: 'content',
})));

async function tokens() {
  const { user, client } = await seedUserAndClient(h);
  const create = () => h.ctx.apiTokens.create({ name: 'ci', scopes: ['orders:read'], expires_in: 3600 }, { actor: { type: 'client', id: 'test' }, owner: user.id });
  const live = await create();
  const dead = await create();
  await h.ctx.apiTokens.revoke(dead.record.id, 'rotated out', { actor: { type: 'client', id: 'test' } });
  const family = await startFamily(h, client.client_id, user.id, ['orders:read']);
  return { live, dead, refresh: family.token, client };
}
const introspect = (token: string, client: { client_id: string; client_secret: string }) =>
  request(h.app).post('/oauth/introspect').auth(client.client_id, client.client_secret).type('form').send({ token }).expect(200);

test('a validly signed report revokes the live tokens and labels each match by its hash', async () => {
  await start();
  const { live, dead, refresh, client } = await tokens();
  const stranger = generateOpaqueToken('api');
  const body = matches(live.token, dead.token, stranger, refresh, 'not-a-token');
  const res = await report(body).expect(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual([
    { token_hash: sha256(live.token), token_type: 'tessera_api_token', label: 'true_positive' },
    { token_hash: sha256(dead.token), token_type: 'tessera_api_token', label: 'true_positive' },
    { token_hash: sha256(stranger), token_type: 'tessera_api_token', label: 'false_positive' },
    { token_hash: sha256(refresh), token_type: 'tessera_refresh_token', label: 'true_positive' },
    { token_hash: sha256('not-a-token'), token_type: 'tessera_api_token', label: 'false_positive' },
  ]);
  expect(res.text).not.toContain(live.token);
  expect((await introspect(live.token, client)).body).toEqual({ active: false });
  expect((await introspect(refresh, client)).body).toEqual({ active: false });
  expect((await h.ctx.apiTokens.get(live.record.id)).revocation_reason).toBe('reported as leaked');
  await h.flushAudit();
  expect(h.audit.events.filter((e) => e.type === 'token.leak_reported').map((e) => [e.token_id === live.record.id ? 'api' : 'refresh', e.detail])).toEqual([
    ['api', { kind: 'api_token', ip: expect.any(String), source: 'https://github.com/octo/app/blob/1a2b/.env', reporter: 'github', source_kind: 'content' }],
    ['refresh', { kind: 'refresh_token', ip: expect.any(String), source: 'https://github.com/octo/app/blob/1a2b/.env', reporter: 'github', source_kind: 'content' }],
  ]);
  // A second report of the same tokens: still real, nothing left to revoke.
  expect((await report(matches(live.token)).expect(200)).body).toEqual([{ token_hash: sha256(live.token), token_type: 'tessera_api_token', label: 'true_positive' }]);
});

test('an invalid signature revokes nothing: another key, an altered body, an unknown key id, no headers', async () => {
  await start();
  const { live, client } = await tokens();
  const body = matches(live.token);
  const impostor = githubKey(GH.id);
  expect((await report(body, impostor).expect(400)).body).toEqual({ error: 'invalid_request', error_description: 'Github-Public-Key-Signature does not verify' });
  const signed = sign('sha256', Buffer.from(body), GH.privateKey).toString('base64');
  await request(h.app).post('/oauth/leaked/github').set('Content-Type', 'application/json')
    .set('Github-Public-Key-Identifier', GH.id).set('Github-Public-Key-Signature', signed).send(`${body} `).expect(400);
  expect((await report(body, githubKey('another-key')).expect(400)).body.error_description).toBe('Github-Public-Key-Identifier names no known key');
  await report(body, null).expect(400);
  await report(body, null, { 'Github-Public-Key-Identifier': GH.id, 'Github-Public-Key-Signature': 'not base64 at all!' }).expect(400);
  expect((await introspect(live.token, client)).body.active).toBe(true);
  // Signed, but not what GitHub sends.
  await report(JSON.stringify({ tokens: [live.token] })).expect(400);
  await report('[{"token":').expect(400);
  expect((await introspect(live.token, client)).body.active).toBe(true);
});

test('keys from a URL; a key added later is fetched again on its first report, at most once a minute', async () => {
  const next = githubKey('next-key');
  let served = keysDocument(GH);
  let fetches = 0;
  const server = http.createServer((_req, res) => { fetches++; res.writeHead(200, { 'Content-Type': 'application/json' }).end(served); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await start(`http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`);
    expect(fetches).toBe(0);
    const stranger = generateOpaqueToken('api');
    await report(matches(stranger)).expect(200);
    expect(fetches).toBe(1);
    served = keysDocument(GH, next);
    // Fetched less than a minute ago: the unknown key is refused without asking again.
    await report(matches(stranger), next).expect(400);
    expect(fetches).toBe(1);
    t += 61_000;
    expect((await report(matches(stranger), next).expect(200)).body[0].label).toBe('false_positive');
    expect(fetches).toBe(2);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('not configured: 404; a keys file that cannot be used stops the start', async () => {
  await start(null);
  expect((await report(matches(generateOpaqueToken('api'))).expect(404)).body.error).toBe('not_found');
  await request(h.app).get('/oauth/leaked/github').expect(405);
  await h.stop();
  await expect(startHarness({ env: { TESSERA_SECRET_SCANNING_KEYS: path.join(dir, 'missing.json') } })).rejects.toThrow(/TESSERA_SECRET_SCANNING_KEYS: cannot read/);
  await writeFile(path.join(dir, 'wrong.json'), JSON.stringify({ public_keys: [{ key_identifier: 'x', key: 'not a key' }] }));
  await expect(startHarness({ env: { TESSERA_SECRET_SCANNING_KEYS: path.join(dir, 'wrong.json') } })).rejects.toThrow(/holds no ECDSA P-256 public key/);
  h = await startHarness();
});

test('a body over 1 MB is 413; with the store unreachable, a signed report is 503 and nothing is lost quietly', async () => {
  await start();
  await hit(report(JSON.stringify([{ token: 'x'.repeat(512), type: 't', url: 'u'.repeat(2000) }]).padEnd(1_100_000, ' ')), 413);
  await h.ctx.store.close();
  expect((await hit(report(matches(generateOpaqueToken('api'))), 503)).headers['retry-after']).toBe('1');
});

test('every documented status of POST /oauth/leaked/github was exercised', () => {
  const missing = unexercised((op) => op.path === '/oauth/leaked/github');
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
