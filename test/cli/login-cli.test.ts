/**
 * `tessera login|status|logout` and `keys list|rotate` against a real
 * Tessera over HTTP, in-process through run(); and what a server that is not
 * Tessera, or none, gets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { startCli, type CliEnv } from '../support/cli.js';

let h: Harness & { url: string };
let dir: string;
let config: string;
beforeAll(async () => { h = await startListeningHarness(); });
afterAll(async () => { await h.stop(); });
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-login-'));
  config = path.join(dir, 'tessera', 'config.json');
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const cli = (args: string[], env: CliEnv = {}, stdin = '') => startCli(args, { TESSERA_CLI_CONFIG: config, ...env }, stdin).done;
const login = (secret = ADMIN_SECRET, extra: string[] = []) =>
  cli(['login', '--url', `${h.url}/`, '--client-id', 'tessera-admin', '--client-secret-stdin', ...extra], {}, `${secret}\n`);

test('login checks the credentials, then saves them 0600; later commands need no flags or environment', async () => {
  const r = await login();
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(new RegExp(`^Logged in to ${h.url} as tessera-admin \\(active signing key \\S+\\)\\.\\nSaved to ${config} \\(readable by you only\\)\\.\\n$`));
  expect((await stat(config)).mode & 0o777).toBe(0o600);
  expect((await stat(path.dirname(config))).mode & 0o777).toBe(0o700);
  expect(JSON.parse(await readFile(config, 'utf8'))).toEqual({ url: h.url, client_id: 'tessera-admin', client_secret: ADMIN_SECRET });

  const list = await cli(['clients', 'list', '--json']);
  expect(list).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(list.stdout).items.map((c: { client_id: string }) => c.client_id)).toContain('tessera-admin');

  const status = await cli(['status', '--json']);
  expect(JSON.parse(status.stdout)).toEqual({
    url: h.url, client_id: 'tessera-admin', url_from: config, credentials_from: config, active_key: expect.any(String),
  });
  const text = await cli(['status']);
  expect(text.stdout).toMatch(/^server: +accepts the credentials; active signing key \S+$/m);
});

test('login --json says where it saved, never the secret', async () => {
  const r = await login(ADMIN_SECRET, ['--json']);
  expect(JSON.parse(r.stdout)).toEqual({ url: h.url, client_id: 'tessera-admin', config_file: config });
  expect(r.stdout).not.toContain(ADMIN_SECRET);
});

test('login takes the secret from TESSERA_CLIENT_SECRET when nothing is piped', async () => {
  const r = await cli(['login', '--client-id', 'tessera-admin'], { TESSERA_URL: h.url, TESSERA_CLIENT_SECRET: ADMIN_SECRET });
  expect(r.code).toBe(0);
  expect(existsSync(config)).toBe(true);
});

test('a refused login exits 1 with the server\'s error and saves nothing', async () => {
  const wrong = await login('not-the-secret');
  expect(wrong).toMatchObject({ code: 1, stdout: '' });
  expect(wrong.stderr).toMatch(/^tessera: invalid_client: /);
  expect(existsSync(config)).toBe(false);

  // A client without tessera:admin cannot get an admin token.
  const plain = await h.createClient({ client_id: `plain-${Date.now()}`, scopes: ['orders:read'] });
  const r = await cli(['login', '--url', h.url, '--client-id', plain.client_id, '--client-secret-stdin'], {}, plain.client_secret);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tessera: invalid_scope: /);
  expect(existsSync(config)).toBe(false);
});

test('login without a URL, a client id or a secret is bad usage that says what to give', async () => {
  expect(await cli(['login', '--client-id', 'x'])).toMatchObject({ code: 2, stderr: 'tessera: no server URL: give --url <url> (or set TESSERA_URL)\n' });
  expect(await cli(['login', '--url', h.url])).toMatchObject({ code: 2, stderr: 'tessera: no client id: give --client-id <id> (or set TESSERA_CLIENT_ID)\n' });
  const noSecret = await cli(['login', '--url', h.url, '--client-id', 'tessera-admin']);
  expect(noSecret).toMatchObject({ code: 2, stderr: expect.stringContaining('pipe it in with --client-secret-stdin') });
  expect((await cli(['login', '--url', 'ftp://x', '--client-id', 'x', '--client-secret-stdin'], {}, 's')).code).toBe(2);
  expect(existsSync(config)).toBe(false);
});

test('logout removes the saved login; then admin commands are bad usage again', async () => {
  await login();
  expect(await cli(['logout'])).toEqual({ code: 0, stdout: `Removed ${config}.\n`, stderr: '' });
  expect(existsSync(config)).toBe(false);
  expect(await cli(['logout', '--json'])).toEqual({ code: 0, stdout: `${JSON.stringify({ config_file: config, removed: false }, null, 2)}\n`, stderr: '' });
  const after = await cli(['clients', 'list']);
  expect(after).toMatchObject({ code: 2, stdout: '' });
  expect(after.stderr).toContain('tessera login');
});

test('a saved login others can read is not used', async () => {
  await login();
  await chmod(config, 0o644);
  const r = await cli(['clients', 'list']);
  expect(r).toMatchObject({ code: 2, stdout: '' });
  expect(r.stderr).toContain('is readable by other users (mode 0644)');
});

test('keys list shows every key with its state; keys rotate activates the next one', async () => {
  await login();
  const before = JSON.parse((await cli(['keys', 'list', '--json'])).stdout).items as { kid: string; state: string }[];
  const active = before.find((k) => k.state === 'active')!;
  const next = before.find((k) => k.state === 'next')!;
  const text = await cli(['keys', 'list']);
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^KID +ALG +STATE +PUBLISHED +CREATED +ACTIVATED +RETIRED +NEXT STEP$/);
  expect(rows.find((l) => l.startsWith(active.kid))).toMatch(new RegExp(`^${active.kid} +EdDSA +active +yes +\\S+Z +\\S+Z +- +-$`));

  const rotated = await cli(['keys', 'rotate']);
  expect(rotated).toMatchObject({ code: 0, stderr: '' });
  expect(rotated.stdout).toMatch(new RegExp(`^active: +${next.kid}\\nnext: +\\S+\\nretired: +${active.kid}\\n$`));
  const after = JSON.parse((await cli(['keys', 'list', '--json'])).stdout).items as { kid: string; state: string }[];
  expect(after.find((k) => k.kid === active.kid)!.state).toBe('retired');
  expect(after.find((k) => k.kid === next.kid)!.state).toBe('active');
});

describe('not a Tessera server', () => {
  let other: http.Server;
  let otherUrl: string;
  let answer: (res: http.ServerResponse) => void;
  beforeAll(async () => {
    other = http.createServer((_req, res) => answer(res));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((r) => other.close(r)); });
  const env = (): CliEnv => ({ TESSERA_URL: otherUrl, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET });

  test('an HTML page, a redirect or a 404 is exit 1 with a message, never a stack trace', async () => {
    answer = (res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>');
    expect(await cli(['clients', 'list'], env())).toEqual({ code: 1, stdout: '', stderr: `tessera: invalid_response: ${otherUrl} answered something that is not JSON; is --url a Tessera server?\n` });
    answer = (res) => res.writeHead(302, { Location: 'https://elsewhere.example/' }).end();
    expect(await cli(['users', 'list'], env())).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: http_302: /) });
    answer = (res) => res.writeHead(404).end('nothing here');
    expect(await cli(['keys', 'list'], env())).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: http_404: /) });
  });

  test('nothing listening is exit 1: unreachable', async () => {
    const r = await cli(['roles', 'list'], { ...env(), TESSERA_URL: 'http://127.0.0.1:1' });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: unreachable: cannot reach http:\/\/127\.0\.0\.1:1: /) });
  });
});
