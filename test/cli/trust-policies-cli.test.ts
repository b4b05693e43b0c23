/**
 * `tessera trust-policies ...` and the clients' key and DPoP options,
 * against a real Tessera over HTTP, in-process through run(); then a
 * workload token is exchanged under the policy the CLI made.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { adminCli } from '../support/cli.js';
import { clientKey, jwksOf } from '../support/client-keys.js';
import { startLocalIssuer, type LocalIssuer } from '../support/local-issuer.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
let h: Harness & { url: string };
let issuer: LocalIssuer;
let dir: string;
beforeAll(async () => {
  h = await startListeningHarness();
  issuer = await startLocalIssuer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-jwks-'));
});
afterAll(async () => {
  await h.stop();
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
});

const { cli, json } = adminCli(() => h.url, ADMIN_SECRET);

test('clients create --auth-method private_key_jwt --jwks-file: no secret; update moves it back with --clear-keys', async () => {
  const key = await clientKey('ES256', 'deployer-1');
  const file = path.join(dir, 'deployer.jwks.json');
  await writeFile(file, JSON.stringify(jwksOf(key)));
  const r = await cli(['clients', 'create', 'deployer', '--grant-type', GRANT, '--scope', 'deploy:write', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--dpop-bound-access-tokens']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^token_endpoint_auth_method: +private_key_jwt$/m);
  expect(r.stdout).toMatch(/^jwks: +1 key\(s\): deployer-1$/m);
  expect(r.stdout).toMatch(/^dpop_bound_access_tokens: +true$/m);
  expect(r.stdout).not.toContain('client_secret:');
  const back = await json(['clients', 'update', 'deployer', '--auth-method', 'client_secret_basic', '--clear-keys', '--no-dpop-bound-access-tokens']);
  expect(back).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', jwks: null, jwks_uri: null, dpop_bound_access_tokens: false });
  const bad = await cli(['clients', 'create', 'x', '--jwks-file', path.join(dir, 'missing.json')]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('cannot read');
});

test('trust-policies create, get, list, update, delete; the policy made here lets a workload token in', async () => {
  await json(['clients', 'create', 'ci', '--grant-type', GRANT, '--scope', 'deploy:write', 'deploy:read']);
  const created = await json([
    'trust-policies', 'create', 'gha', '--issuer', issuer.url, '--audience', h.url,
    '--condition', 'repository=acme/deploy', '--condition', 'ref=refs/heads/main', '--condition', 'ref=refs/heads/release/*',
    '--client-id', 'ci', '--subject', 'github:{repository}', '--scope', 'deploy:write', '--max-token-lifetime', '900',
  ]);
  expect(created).toMatchObject({
    id: 'gha', issuer: issuer.url, audiences: [h.url], client_id: 'ci', subject: 'github:{repository}', scopes: ['deploy:write'], max_token_lifetime: 900,
    conditions: { repository: ['acme/deploy'], ref: ['refs/heads/main', 'refs/heads/release/*'] }, jwks: null, jwks_uri: null,
  });
  const text = await cli(['trust-policies', 'get', 'gha']);
  expect(text.stdout).toMatch(/^keys: +OpenID discovery at the issuer$/m);
  expect(text.stdout).toMatch(/^conditions: +repository=acme\/deploy ref=refs\/heads\/main\|refs\/heads\/release\/\*$/m);
  const list = await cli(['trust-policies', 'list']);
  expect(list.stdout.split('\n')[0]).toMatch(/^ID +ISSUER +CLIENT +CONDITIONS +SCOPES$/);

  const exchanged = await request(h.app).post('/oauth/token').type('form')
    .send({ grant_type: GRANT, assertion: await issuer.token({ sub: 'repo:acme/deploy:ref:refs/heads/main', aud: h.url, repository: 'acme/deploy', ref: 'refs/heads/main' }) });
  expect(exchanged.status).toBe(200);
  expect(exchanged.body.scope).toBe('deploy:write');

  const updated = await json(['trust-policies', 'update', 'gha', '--scope', 'deploy:read', '--jwks-uri', issuer.jwksUri]);
  expect(updated).toMatchObject({ scopes: ['deploy:read'], jwks_uri: issuer.jwksUri, jwks: null });
  expect(await json(['trust-policies', 'update', 'gha', '--discover'])).toMatchObject({ jwks_uri: null, jwks: null });
  const nothing = await cli(['trust-policies', 'update', 'gha']);
  expect(nothing.code).toBe(2);
  const refused = await cli(['trust-policies', 'update', 'gha', '--client-id', 'tessera-admin']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`client tessera-admin is not registered for the ${GRANT} grant`);
  const badCondition = await cli(['trust-policies', 'update', 'gha', '--condition', 'repository']);
  expect(badCondition.code).toBe(2);

  expect((await cli(['trust-policies', 'delete', 'gha'])).stdout).toContain('Deleted trust policy gha.');
  expect((await cli(['trust-policies', 'get', 'gha'])).code).toBe(1);
});
