/** `tessera clients ...` against a real Tessera over HTTP, in-process through run(). */
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { adminCli } from '../support/cli.js';

let h: Harness & { url: string };
beforeAll(async () => { h = await startListeningHarness(); });
afterAll(async () => { await h.stop(); });

const { cli, json } = adminCli(() => h.url, ADMIN_SECRET);

test('create: a confidential client gets a generated secret, printed once with the warning; the secret works', async () => {
  const r = await cli(['clients', 'create', 'billing', '--scope', 'orders:read', '--audience', 'https://api.example.com']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^client_id: +billing$/m);
  expect(r.stdout).toMatch(/^type: +confidential$/m);
  expect(r.stdout).toMatch(/^grant_types: +client_credentials$/m);
  expect(r.stdout).toMatch(/^default_scopes: +all of scopes$/m);
  expect(r.stdout).toMatch(/^audiences: +https:\/\/api\.example\.com$/m);
  const secret = /^client_secret: (\S+)$/m.exec(r.stdout)?.[1];
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(r.stdout).toContain('will not be shown again');
  await expect(h.clientToken('billing', secret!)).resolves.toEqual(expect.any(String));
});

test('create --json is the server answer; a public client has no secret; --client-secret-stdin sets one', async () => {
  const pub = await json(['clients', 'create', 'web-app', '--public', '--redirect-uri', 'http://localhost:5173/cb', '--scope', 'orders:read', 'offline_access']);
  expect(pub).toMatchObject({ client_id: 'web-app', public: true, grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] });
  expect(pub.client_secret).toBeUndefined();
  const text = await cli(['clients', 'get', 'web-app']);
  expect(text.stdout).toMatch(/^type: +public$/m);
  expect(text.stdout).not.toContain('client_secret');

  const chosen = 'a-chosen-secret-of-32-characters';
  const own = await json(['clients', 'create', 'own-secret', '--scope', 'orders:read', '--client-secret-stdin'], `${chosen}\n`);
  expect(own.client_secret).toBe(chosen);
  await expect(h.clientToken('own-secret', chosen)).resolves.toEqual(expect.any(String));
  const generated = await json(['clients', 'create', '--scope', 'orders:read']);
  expect(generated.client_id).toMatch(/^client_/);
});

test('list prints an aligned table; --limit and --cursor page; --all follows every page', async () => {
  for (const id of ['page-a', 'page-b', 'page-c']) await json(['clients', 'create', id]);
  const text = await cli(['clients', 'list']);
  expect(text).toMatchObject({ code: 0, stderr: '' });
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^CLIENT ID +NAME +TYPE +GRANT TYPES +SCOPES$/);
  const row = rows.find((l) => l.startsWith('page-a '))!;
  expect(row).toMatch(/^page-a +page-a +confidential +client_credentials +-$/);
  expect(header!.indexOf('TYPE')).toBe(row.indexOf('confidential'));

  const first = await json(['clients', 'list', '--limit', '1']);
  expect(first.items).toHaveLength(1);
  expect(first.next_cursor).toEqual(expect.any(String));
  expect((await cli(['clients', 'list', '--limit', '1'])).stdout).toContain(`More: add --cursor ${first.next_cursor}`);
  const second = await json(['clients', 'list', '--limit', '1', '--cursor', first.next_cursor]);
  expect(second.items[0].client_id > first.items[0].client_id).toBe(true);

  const all = await json(['clients', 'list', '--all', '--limit', '2']);
  expect(all.next_cursor).toBeNull();
  const ids = all.items.map((c: { client_id: string }) => c.client_id);
  expect(ids).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c', 'tessera-admin']));
  expect(new Set(ids).size).toBe(ids.length);
});

test('update replaces only the fields given; "" clears a list; nothing to change is bad usage', async () => {
  await json(['clients', 'create', 'upd', '--scope', 'a', '--audience', 'https://x.example', '--third-party']);
  const u = await json(['clients', 'update', 'upd', '--scope', 'a', 'b', '--audience', '', '--no-third-party', '--name', 'Updated']);
  expect(u).toMatchObject({ client_id: 'upd', name: 'Updated', scopes: ['a', 'b'], audiences: [], third_party: false });
  const d = await json(['clients', 'update', 'upd', '--default-scope', 'a']);
  expect(d).toMatchObject({ scopes: ['a', 'b'], default_scopes: ['a'], name: 'Updated' });
  expect(await json(['clients', 'update', 'upd', '--all-scopes-default'])).toMatchObject({ default_scopes: null });

  const nothing = await cli(['clients', 'update', 'upd']);
  expect(nothing).toMatchObject({ code: 2, stdout: '', stderr: 'tessera: nothing to change: give at least one option (see --help)\n' });
  expect((await cli(['clients', 'update', 'upd', '--grant-type', 'password'])).code).toBe(2);
  expect((await cli(['clients', 'update', 'upd', '--default-scope', 'a', '--all-scopes-default'])).code).toBe(2);
});

test('rotate-secret prints the new secret once; the old one stops working; a public client is refused', async () => {
  const created = await json(['clients', 'create', 'rot', '--scope', 'a']);
  const r = await cli(['clients', 'rotate-secret', 'rot']);
  expect(r.code).toBe(0);
  const secret = /^client_secret: (\S+)$/m.exec(r.stdout)?.[1];
  expect(secret).toBeDefined();
  expect(secret).not.toBe(created.client_secret);
  expect(r.stdout).toContain('will not be shown again');
  await expect(h.clientToken('rot', secret!)).resolves.toEqual(expect.any(String));
  await expect(h.clientToken('rot', created.client_secret)).rejects.toThrow(/401/);

  await json(['clients', 'create', 'rot-pub', '--public', '--redirect-uri', 'http://localhost/cb']);
  const pub = await cli(['clients', 'rotate-secret', 'rot-pub']);
  expect(pub).toMatchObject({ code: 1, stdout: '' });
  expect(pub.stderr).toMatch(/^tessera: invalid_request: .+\n$/);
});

test('delete, then get is the server refusing: exit 1 with not_found', async () => {
  await json(['clients', 'create', 'gone']);
  expect(await cli(['clients', 'delete', 'gone'])).toEqual({ code: 0, stdout: 'Deleted client gone.\n', stderr: '' });
  expect(await cli(['clients', 'get', 'gone'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: not_found: .+\n$/) });
  expect(await cli(['clients', 'delete', 'gone', '--json'])).toMatchObject({ code: 1, stdout: '' });
  await json(['clients', 'create', 'gone2']);
  expect(await json(['clients', 'delete', 'gone2'])).toEqual({ client_id: 'gone2', deleted: true });
});

test('a duplicate id is a conflict (exit 1); bad arguments are bad usage (exit 2) and never reach the server', async () => {
  await json(['clients', 'create', 'dup']);
  expect(await cli(['clients', 'create', 'dup'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: conflict: /) });
  for (const args of [['clients', 'get'], ['clients', 'get', '..'], ['clients', 'create', 'x', '--public', '--client-secret-stdin'], ['clients', 'list', '--limit', '201'], ['clients', 'nope']]) {
    const r = await cli(args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
  }
});

test('names with control characters are shown escaped, so they cannot rewrite the terminal', async () => {
  await json(['clients', 'create', 'esc', '--name', 'evil\u001b[2Jname']);
  const r = await cli(['clients', 'get', 'esc']);
  expect(r.stdout).toMatch(/^name: +evil\\x1b\[2Jname$/m);
  expect(r.stdout).not.toContain('\u001b');
});
