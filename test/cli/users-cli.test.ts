/** `tessera users ...` and `tessera roles ...` against a real Tessera over HTTP, in-process through run(). */
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { adminCli } from '../support/cli.js';

let h: Harness & { url: string };
beforeAll(async () => {
  h = await startListeningHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.putRole('writer', ['orders:write']);
});
afterAll(async () => { await h.stop(); });

const { cli, json } = adminCli(() => h.url, ADMIN_SECRET);
/** Whether the login page would accept this password. */
const signsIn = (username: string, password: string) =>
  h.ctx.login.authenticate(username, password, '127.0.0.1').then(() => true, () => false);

test('users create reads the password from --password-stdin, never from an argument', async () => {
  const r = await cli(['users', 'create', 'alice', '--role', 'reader', '--password-stdin'], 'alice-password\n');
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^id: +usr_\S+$/m);
  expect(r.stdout).toMatch(/^username: +alice$/m);
  expect(r.stdout).toMatch(/^roles: +reader$/m);
  expect(r.stdout).toMatch(/^status: +active$/m);
  expect(r.stdout).not.toContain('alice-password');
  expect(await signsIn('alice', 'alice-password')).toBe(true);

  // Not a terminal and nothing piped: bad usage that says how to give it.
  const noPassword = await cli(['users', 'create', 'nopass']);
  expect(noPassword).toMatchObject({ code: 2, stdout: '' });
  expect(noPassword.stderr).toBe('tessera: no password: pipe it in with --password-stdin, or run this in a terminal to be asked for it\n');
  expect((await cli(['users', 'create', 'x', '--password', 'secret'])).code).toBe(2);
  // The server's rules: a short password, an unknown role.
  expect(await cli(['users', 'create', 'shorty', '--password-stdin'], 'short')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: invalid_request: .*password/) });
  expect(await cli(['users', 'create', 'norole', '--role', 'nosuchrole', '--password-stdin'], 'long-enough-password')).toMatchObject({ code: 1 });
});

test('users list and get, by id or by username (one that looks like an id too)', async () => {
  const bob = await json(['users', 'create', 'bob', '--role', 'reader', 'writer', '--disabled', '--password-stdin'], 'bob-password-123');
  expect(bob).toMatchObject({ username: 'bob', roles: ['reader', 'writer'], disabled: true, tokens_revoked_at: null });
  const odd = await json(['users', 'create', 'usr_lookalike', '--password-stdin'], 'odd-password-123');

  const text = await cli(['users', 'list']);
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^ID +USERNAME +ROLES +STATUS +CREATED$/);
  const row = rows.find((l) => l.startsWith(bob.id))!;
  expect(row).toMatch(new RegExp(`^${bob.id} +bob +reader writer +disabled +\\S+Z$`));
  expect(header!.indexOf('STATUS')).toBe(row.indexOf('disabled'));

  expect(await json(['users', 'get', 'bob'])).toEqual(bob);
  expect(await json(['users', 'get', bob.id])).toEqual(bob);
  expect((await json(['users', 'get', 'usr_lookalike'])).id).toBe(odd.id);
  const all = await json(['users', 'list', '--all', '--limit', '1']);
  expect(all.items.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['alice', 'bob', 'usr_lookalike']));
  expect(all.next_cursor).toBeNull();

  const missing = await cli(['users', 'get', 'nobody']);
  expect(missing).toEqual({ code: 1, stdout: '', stderr: 'tessera: not_found: no user with the id or username nobody\n' });
  expect((await cli(['users', 'get', 'usr_AAAAAAAAAAAAAAAA'])).code).toBe(1);
});

test('users update replaces the fields given; set-password changes the password; nothing to change is bad usage', async () => {
  await json(['users', 'create', 'carol', '--role', 'reader', '--password-stdin'], 'carol-password-1');
  expect(await json(['users', 'update', 'carol', '--role', 'writer', '--username', 'caroline'])).toMatchObject({ username: 'caroline', roles: ['writer'], disabled: false });
  expect(await json(['users', 'update', 'caroline', '--role', ''])).toMatchObject({ roles: [] });
  expect(await json(['users', 'update', 'caroline', '--disable'])).toMatchObject({ disabled: true });
  expect(await json(['users', 'update', 'caroline', '--enable'])).toMatchObject({ disabled: false });
  expect((await cli(['users', 'update', 'caroline', '--enable', '--disable'])).code).toBe(2);
  expect(await cli(['users', 'update', 'caroline'])).toMatchObject({ code: 2, stderr: 'tessera: nothing to change: give at least one option (see --help)\n' });

  const r = await cli(['users', 'set-password', 'caroline', '--password-stdin'], 'carol-password-2\n');
  expect(r).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^Password of caroline \(usr_\S+\) changed\.\n$/) });
  expect(await signsIn('caroline', 'carol-password-2')).toBe(true);
  expect(await signsIn('caroline', 'carol-password-1')).toBe(false);
});

test('users revoke-tokens sets the cut-off; delete removes the user', async () => {
  const dave = await json(['users', 'create', 'dave', '--password-stdin'], 'dave-password-1');
  const revoked = await json(['users', 'revoke-tokens', 'dave']);
  expect(revoked.id).toBe(dave.id);
  expect(revoked.tokens_revoked_at).toEqual(expect.any(String));
  expect((await cli(['users', 'revoke-tokens', dave.id])).stdout).toMatch(/^tokens_revoked_at: +\S+Z$/m);

  expect(await cli(['users', 'delete', 'dave'])).toEqual({ code: 0, stdout: `Deleted user ${dave.id}.\n`, stderr: '' });
  expect((await cli(['users', 'get', dave.id])).code).toBe(1);
  expect((await cli(['users', 'delete', 'dave'])).code).toBe(1);
});

test('roles set creates or replaces, list and get show them, delete removes one', async () => {
  const created = await json(['roles', 'set', 'auditor', '--scope', 'audit:read', 'orders:read']);
  expect(created).toMatchObject({ name: 'auditor', scopes: ['audit:read', 'orders:read'] });
  expect(await json(['roles', 'set', 'auditor', '--scope', 'audit:read'])).toMatchObject({ scopes: ['audit:read'] });
  expect(await json(['roles', 'get', 'auditor'])).toMatchObject({ name: 'auditor', scopes: ['audit:read'] });

  const text = await cli(['roles', 'list']);
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^NAME +SCOPES +UPDATED$/);
  expect(rows.find((l) => l.startsWith('auditor '))).toMatch(/^auditor +audit:read +\S+Z$/);
  expect((await json(['roles', 'list'])).items.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['auditor', 'reader', 'writer']));

  expect(await cli(['roles', 'delete', 'auditor'])).toEqual({ code: 0, stdout: 'Deleted role auditor.\n', stderr: '' });
  expect(await cli(['roles', 'get', 'auditor'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: not_found: /) });
  expect((await cli(['roles', 'set', 'x'])).code).toBe(2);
});
