/**
 * `tessera api-tokens ...` against a real Tessera over HTTP: in-process
 * through run() (stdout/stderr captured), and once through the built bin.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { startCli, type CliEnv } from '../support/cli.js';
import { ensureBuilt } from '../support/build.js';

const execFileAsync = promisify(execFile);

let h: Harness & { url: string };
let aliceId: string;

beforeAll(async () => {
  h = await startListeningHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  aliceId = (await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] })).id;
  await h.ctx.users.create({ username: 'bob', password: 'bob-password-123', roles: ['reader'] });
});
afterAll(async () => { await h.stop(); });

/** Runs the CLI in-process with exactly these variables set; answers exit code and output. */
const cli = (args: string[], env: CliEnv = { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET }) => startCli(args, env).done;

async function createJson(...extra: string[]) {
  const r = await cli(['api-tokens', 'create', '--user', 'alice', '--name', 'deploy bot', '--scope', 'orders:read', '--json', ...extra]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(r.stdout);
}

test('create --json prints the server answer with the secret once', async () => {
  const t = await createJson('--description', 'ci', '--expires-in', '3600', '--allow-ip', '10.0.0.0/8', '2001:db8::/32', '--rate-limit', '100/60');
  expect(t).toMatchObject({
    user: aliceId, name: 'deploy bot', description: 'ci', scopes: ['orders:read'], status: 'active',
    allowed_ips: ['10.0.0.0/8', '2001:db8::/32'], rate_limit: { requests: 100, per_seconds: 60 },
    created_by: { type: 'client', id: 'tessera-admin' }, revoked_at: null,
  });
  expect(t.id).toMatch(/^tok_[A-Za-z0-9_-]{16}$/);
  expect(t.token).toMatch(/^tsp_[0-9A-Za-z]{38}$/);
  expect(Date.parse(t.expires_at) - Date.parse(t.created_at)).toBeCloseTo(3_600_000, -4);
});

test('create prints key: value lines, the secret and that it will not be shown again', async () => {
  // Within the server's maximum lifetime (90 days by default), to the second.
  const expires = new Date(Math.floor(Date.now() / 1000) * 1000 + 10 * 86_400_000).toISOString().replace('.000Z', 'Z');
  const r = await cli(['api-tokens', 'create', '--user', aliceId, '--name', 'laptop', '--scope', 'orders:read', '--expires-at', expires]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^id: +tok_/m);
  expect(r.stdout).toMatch(/^name: +laptop$/m);
  expect(r.stdout).toMatch(new RegExp(`^expires_at: +${expires.replace('Z', '(\\.000)?Z')}$`, 'm'));
  expect(r.stdout).toMatch(/^token: tsp_[0-9A-Za-z]{38}$/m);
  expect(r.stdout).toContain('will not be shown again');
});

test('list filters by user and prints an aligned table', async () => {
  const mine = await createJson();
  const bobs = await cli(['api-tokens', 'create', '--user', 'bob', '--name', 'bob token', '--scope', 'orders:read', '--json']);
  expect(bobs.code).toBe(0);
  const json = await cli(['api-tokens', 'list', '--user', 'alice', '--active', '--json']);
  expect(json.code).toBe(0);
  const page = JSON.parse(json.stdout);
  expect(page.items.map((t: { id: string }) => t.id)).toContain(mine.id);
  expect(page.items.every((t: { user: string; token?: string }) => t.user === aliceId && t.token === undefined)).toBe(true);

  const text = await cli(['api-tokens', 'list', '--user', 'alice']);
  expect(text.code).toBe(0);
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^ID +NAME +USER +SCOPES +STATUS +EXPIRES +LAST USED$/);
  const row = rows.find((l) => l.startsWith(mine.id))!;
  expect(row).toMatch(new RegExp(`^${mine.id} +deploy bot +${aliceId} +orders:read +active +\\S+Z +never$`));
  expect(header!.indexOf('STATUS')).toBe(row.indexOf('active'));
  expect(text.stdout).not.toContain(JSON.parse(bobs.stdout).id);
});

test('get shows one token; an unknown id is the server refusing (exit 1, not_found)', async () => {
  const t = await createJson();
  const r = await cli(['api-tokens', 'get', t.id]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^id: +${t.id}$`, 'm'));
  expect(r.stdout).toMatch(/^status: +active$/m);
  expect(r.stdout).not.toContain('tsp_');
  const json = await cli(['api-tokens', 'get', t.id, '--json']);
  const { token: _secret, ...view } = t;
  expect(JSON.parse(json.stdout)).toEqual(view);

  const missing = await cli(['api-tokens', 'get', 'tok_AAAAAAAAAAAAAAAA']);
  expect(missing.code).toBe(1);
  expect(missing.stdout).toBe('');
  expect(missing.stderr).toMatch(/^tessera: not_found: .+\n$/);
});

test('rotate prints a new secret; the old one is kept through the grace period', async () => {
  const t = await createJson();
  const r = await cli(['api-tokens', 'rotate', t.id, '--grace', '120', '--json']);
  expect(r.code).toBe(0);
  const rotated = JSON.parse(r.stdout);
  expect(rotated.token).toMatch(/^tsp_/);
  expect(rotated.token).not.toBe(t.token);
  expect(rotated.rotated_at).not.toBeNull();
  expect(rotated.previous_secret_expires_at).not.toBeNull();

  const text = await cli(['api-tokens', 'rotate', t.id]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^token: tsp_/m);
  expect(text.stdout).toContain('will not be shown again');
});

test('revoke with a reason: the token stays, revoked, and is listed as inactive', async () => {
  const t = await createJson();
  const r = await cli(['api-tokens', 'revoke', t.id, '--reason', 'laptop stolen', '--json']);
  expect(r.code).toBe(0);
  const revoked = JSON.parse(r.stdout);
  expect(revoked).toMatchObject({ id: t.id, status: 'revoked', revocation_reason: 'laptop stolen', revoked_by: { type: 'client', id: 'tessera-admin' } });
  expect(revoked.revoked_at).not.toBeNull();

  const text = await cli(['api-tokens', 'revoke', t.id]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^revocation_reason: +laptop stolen$/m);
  const inactive = JSON.parse((await cli(['api-tokens', 'list', '--inactive', '--json'])).stdout);
  expect(inactive.items.map((i: { id: string }) => i.id)).toContain(t.id);
  expect(await cli(['api-tokens', 'rotate', t.id])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: conflict: /) });
});

test('usage shows the last use and the uses per route, most used first', async () => {
  const t = await createJson();
  const rs = await h.createClient({ client_id: `resource-${Date.now()}`, scopes: ['orders:read'] });
  const introspect = (route: string) => fetch(`${h.url}/oauth/introspect`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: t.token, route }),
  });
  const unused = await cli(['api-tokens', 'usage', t.id]);
  expect(unused).toMatchObject({ code: 0, stderr: '' });
  expect(unused.stdout).toMatch(/^last_used_at: +never$/m);
  expect(unused.stdout.trimEnd().endsWith('No uses recorded.')).toBe(true);

  for (const route of ['GET /orders', 'GET /orders', 'DELETE /orders/7']) expect((await introspect(route)).status).toBe(200);
  const json = await cli(['api-tokens', 'usage', t.id, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ id: t.id, last_used_at: expect.any(String), routes: { 'GET /orders': 2, 'DELETE /orders/7': 1 } });
  const text = await cli(['api-tokens', 'usage', t.id]);
  const table = text.stdout.slice(text.stdout.indexOf('USES')).trimEnd().split('\n');
  expect(table).toEqual([expect.stringMatching(/^USES +ROUTE$/), expect.stringMatching(/^2 +GET \/orders$/), expect.stringMatching(/^1 +DELETE \/orders\/7$/)]);
  expect(await cli(['api-tokens', 'usage', 'tok_AAAAAAAAAAAAAAAA'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: not_found: /) });
});

test('list --all follows every page into one list', async () => {
  const ids = [(await createJson()).id, (await createJson()).id];
  const all = JSON.parse((await cli(['api-tokens', 'list', '--all', '--limit', '1', '--json'])).stdout);
  expect(all.next_cursor).toBeNull();
  expect(all.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(ids));
  expect((await cli(['api-tokens', 'list', '--all', '--cursor', 'x'])).code).toBe(2);
});

test('server refusals exit 1 with its error: a scope outside the roles, wrong credentials, no server', async () => {
  const scope = await cli(['api-tokens', 'create', '--user', 'alice', '--name', 'x', '--scope', 'orders:write']);
  expect(scope.code).toBe(1);
  expect(scope.stderr).toMatch(/^tessera: invalid_request: /);
  const creds = await cli(['api-tokens', 'list'], { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: 'wrong' });
  expect(creds.code).toBe(1);
  expect(creds.stderr).toMatch(/^tessera: invalid_client: /);
  const down = await cli(['api-tokens', 'list', '--url', 'http://127.0.0.1:1']);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/^tessera: unreachable: cannot reach http:\/\/127\.0\.0\.1:1/);
});

test('bad usage exits 2: no credentials, no URL, a bad --rate-limit, two expiries', async () => {
  const noCreds = await cli(['api-tokens', 'list'], { TESSERA_URL: h.url });
  expect(noCreds.code).toBe(2);
  expect(noCreds.stderr).toContain('TESSERA_CLIENT_ID');
  const noUrl = await cli(['api-tokens', 'list'], { TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET });
  expect(noUrl.code).toBe(2);
  expect(noUrl.stderr).toContain('TESSERA_URL');
  const create = ['api-tokens', 'create', '--user', 'alice', '--name', 'x', '--scope', 'orders:read'];
  const rate = await cli([...create, '--rate-limit', '100 per minute']);
  expect(rate.code).toBe(2);
  expect(rate.stderr).toContain('--rate-limit');
  expect((await cli([...create, '--expires-in', '60', '--expires-at', '2099-01-01T00:00:00Z'])).code).toBe(2);
  expect((await cli([...create, '--expires-at', 'tomorrow'])).code).toBe(2);
  expect((await cli(['api-tokens', 'create', '--name', 'x', '--scope', 'a'])).code).toBe(2);
  expect((await cli(['api-tokens', 'list', '--active', '--inactive'])).code).toBe(2);
  expect((await cli(['api-tokens', 'get'])).code).toBe(2);
});

test('--help exits 0 on the group and on every command', async () => {
  for (const sub of [[], ['create'], ['list'], ['get'], ['rotate'], ['revoke'], ['usage']]) {
    const r = await cli(['api-tokens', ...sub, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: tessera api-tokens/);
  }
});

describe('the built bin', () => {
  const BIN = path.resolve('bin/tessera.js');
  const node = (args: string[], env: Record<string, string> = {}) =>
    execFileAsync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
      .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

  beforeAll(async () => {
    await ensureBuilt('dist/cli/api-tokens.js');
  }, 180_000);

  test('api-tokens --help exits 0; create and list talk to a real server', async () => {
    const help = await node(['api-tokens', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/create/);
    const env = { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET };
    const created = await node(['api-tokens', 'create', '--user', 'alice', '--name', 'from the bin', '--scope', 'orders:read', '--json'], env);
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout);
    const list = await node(['api-tokens', 'list', '--user', 'alice'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id} +from the bin `, 'm'));
    expect((await node(['api-tokens', 'list'])).code).toBe(2);
  });
});

test('resume lifts a pause of the suspicious-use policy and shows the token', async () => {
  const t = await createJson();
  await h.ctx.apiTokens.pause(t.id, 'suspicious use: a test', { actor: { type: 'system', id: 'suspicious-use' } });
  expect((await cli(['api-tokens', 'get', t.id])).stdout).toMatch(/^pause_reason: +suspicious use: a test$/m);
  const resumed = await cli(['api-tokens', 'resume', t.id]);
  expect(resumed).toMatchObject({ code: 0, stderr: '' });
  expect(resumed.stdout).toMatch(/^paused_at: +-$/m);
});
