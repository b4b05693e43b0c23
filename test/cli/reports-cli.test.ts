/** `tessera reports ...`, `api-tokens narrow` and `clients narrow` against a real Tessera over HTTP, in-process through run(). */
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { adminCli } from '../support/cli.js';

const DAY = 86_400_000;
let h: Harness & { url: string };
let t = Date.now();
let rs: { client_id: string; client_secret: string };
beforeAll(async () => {
  h = await startListeningHarness({ now: () => t });
  await h.ctx.users.putRole('ops', ['orders:read', 'orders:write']);
  await h.ctx.users.create({ username: 'carol', password: 'a long password 123', roles: ['ops'] });
  rs = await h.createClient({ client_id: 'cli-resource-server', scopes: ['orders:read', 'orders:write'] });
});
afterAll(async () => { await h.stop(); });

const { cli, json } = adminCli(() => h.url, ADMIN_SECRET);
const introspect = (token: string, scope: string) => fetch(`${h.url}/oauth/introspect`, {
  method: 'POST',
  headers: { Authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token, scope }),
});

test('least-privilege lists what was granted and used; api-tokens narrow and clients narrow keep what was used', async () => {
  const token = await json(['api-tokens', 'create', '--user', 'carol', '--name', 'wide', '--scope', 'orders:read', 'orders:write', '--expires-in', String(40 * 86_400)]);
  expect((await introspect(token.token, 'orders:read')).status).toBe(200);
  const access = await h.clientToken(rs.client_id, rs.client_secret);
  expect((await introspect(access, 'orders:write')).status).toBe(200);

  const report = await cli(['reports', 'least-privilege', '--excess-only']);
  expect(report).toMatchObject({ code: 0, stderr: '' });
  const [header, ...rows] = report.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^KIND +ID +NAME +USED +UNUSED +LAST USED$/);
  expect(rows).toEqual([expect.stringMatching(new RegExp(`^api_token +${token.id} +wide +orders:read +orders:write +\\S+Z$`))]);
  const clients = await json(['reports', 'least-privilege', '--kind', 'client', '--window', '3600']);
  expect(clients.items.find((i: { id: string }) => i.id === rs.client_id)).toMatchObject({ used: [{ scope: 'orders:write' }], unused: ['orders:read'] });

  expect((await cli(['api-tokens', 'narrow', token.id])).stdout).toBe('Removed: orders:write\nKept: orders:read\n');
  expect((await cli(['api-tokens', 'narrow', token.id, '--window', '3600'])).stdout).toBe('Every scope was used in the last 1 hour; nothing removed. Scopes: orders:read\n');
  expect(await json(['clients', 'narrow', rs.client_id])).toMatchObject({ removed: ['orders:read'], client: { scopes: ['orders:write'] } });
  expect(await cli(['clients', 'narrow', 'tessera-admin', '--window', '0'])).toMatchObject({ code: 2, stdout: '' });
  expect(await cli(['api-tokens', 'narrow', 'tok_AAAAAAAAAAAAAAAA'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: not_found: /) });
});

test('unused and expiring list the tokens with their owner', async () => {
  const soon = await json(['api-tokens', 'create', '--user', 'carol', '--name', 'soon', '--scope', 'orders:read', '--expires-in', String(3 * 86_400)]);
  t += 2 * DAY;
  const unused = await cli(['reports', 'unused', '--unused-for', String(86_400)]);
  expect(unused.stdout.split('\n')[0]).toMatch(/^ID +NAME +OWNER +UNUSED FOR +LAST USED +WARNED +ACTION AT$/);
  expect(unused.stdout).toMatch(new RegExp(`^${soon.id} +soon +carol +2d +never +- +-$`, 'm'));
  const expiring = await cli(['reports', 'expiring', '--within', String(2 * 86_400)]);
  expect(expiring.stdout.trimEnd().split('\n')).toEqual([
    expect.stringMatching(/^OWNER +ID +NAME +EXPIRES +LEFT +LAST USED$/),
    expect.stringMatching(new RegExp(`^carol +${soon.id} +soon +\\S+Z +1d +never$`)),
  ]);
  expect((await cli(['reports', 'expiring', '--within', '60'])).stdout).toMatch(/^No API tokens expire before \S+Z\.$/m);
  expect(await cli(['reports', 'unused', '--unused-for', '0'])).toMatchObject({ code: 2, stdout: '' });
});
