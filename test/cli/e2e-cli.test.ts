/**
 * The CLI end to end, as `npx -p @tessera-auth/server tessera` runs it: a real Tessera process
 * (dist/main.js, memory store) and the real bin/tessera.js as child
 * processes for --help on every command (enumerated from the program, so
 * none is missed) and for a login-then-use walk with no environment but the
 * saved login. Every other subcommand then runs once against the same server
 * through the in-process runner, and the walk checks that it covered them all.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { ensureBuilt } from '../support/build.js';
import { startCli } from '../support/cli.js';
import { startServer, type RunningServer } from '../support/process.js';

const BIN = path.resolve('bin/tessera.js');
const SECRET = 'e2e-admin-secret-0123456789abcdef';

let server: RunningServer;
let dir: string;
let config: string;

beforeAll(async () => {
  await ensureBuilt('dist/main.js', 'dist/cli/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-e2e-'));
  config = path.join(dir, 'home', 'tessera', 'config.json');
  server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: SECRET });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Ran { code: number | null; stdout: string; stderr: string }

/** Runs a command as a person would: its own process, only PATH and TESSERA_CLI_CONFIG set, `stdin` piped in. */
function tessera(args: string[], stdin = '', command: string[] = [process.execPath, BIN]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, TESSERA_CLI_CONFIG: config },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    child.stderr.on('data', (d) => { stderr += String(d); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tessera ${args.join(' ')} did not end`)); }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(stdin);
  });
}

/** Every command path in the program, groups and leaves, e.g. ['clients'], ['clients', 'list']. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}
const program = buildProgram({ out: () => undefined, err: () => undefined, setExit: () => undefined, stdin: process.stdin, prompt: () => undefined });
const ALL = commandPaths(program);
const LEAVES = ALL.filter((p) => !ALL.some((q) => q.length > p.length && p.every((w, i) => q[i] === w))).map((p) => p.join(' '));

test('--help works on the program and on every command and subcommand, in a real process', async () => {
  // The walk really finds the commands (a broken enumeration must not pass by walking nothing).
  expect(LEAVES).toEqual(expect.arrayContaining([
    'login', 'logout', 'status', 'clients rotate-secret', 'users revoke-tokens', 'roles set', 'api-tokens usage',
    'keys list', 'keys rotate', 'keys generate', 'audit export', 'config check', 'scan',
  ]));
  const targets = [[], ...ALL];
  const queue = [...targets];
  const failures: string[] = [];
  // Two at a time: one per core.
  await Promise.all([0, 1].map(async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const r = await tessera([...p, '--help']);
      const usage = `Usage: tessera${p.length ? ` ${p.join(' ')}` : ''} `;
      if (r.code !== 0 || !r.stdout.startsWith(usage) || r.stderr !== '') failures.push(`${p.join(' ')}: ${r.code} ${r.stdout.slice(0, 80)} ${r.stderr}`);
    }
  }));
  expect(failures).toEqual([]);
}, 120_000);

test('npx -p @tessera-auth/server tessera --help, as the docs write it, runs this checkout\'s bin', async () => {
  // --no-install: resolving to anything but this checkout (e.g. the registry) is a failure, never a fetch.
  const r = await tessera(['--no-install', '-p', '@tessera-auth/server', 'tessera', '--help'], '', ['npx']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Usage: tessera <command> \[options\]/);
  for (const group of ['login', 'clients', 'users', 'roles', 'api-tokens', 'keys', 'audit', 'webhooks', 'trust-policies']) expect(r.stdout).toMatch(new RegExp(`^ {2}${group} `, 'm'));
}, 60_000);

describe('against the running server', () => {
  const walked = new Set<string>();
  /** The in-process runner with only the saved login; records which command ran. */
  const cli = async (args: string[], stdin = '') => {
    const leaf = LEAVES.find((l) => args.join(' ').startsWith(`${l} `) || args.join(' ') === l);
    if (leaf) walked.add(leaf);
    return startCli(args, { TESSERA_CLI_CONFIG: config }, stdin).done;
  };
  const ok = async (args: string[], stdin = '') => {
    const r = await cli(args, stdin);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const json = async (args: string[], stdin = '') => JSON.parse(await ok([...args, '--json'], stdin));
  const refused = async (args: string[], error: string) => {
    const r = await cli(args);
    expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: 1, stdout: '', stderr: expect.stringMatching(new RegExp(`^tessera: ${error}: .+\\n$`)) });
  };
  const badUsage = async (args: string[]) => {
    const r = await cli(args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
  };

  test('login, then commands with no environment, as real processes; a refusal is 1, bad usage 2; logout', async () => {
    const wrong = await tessera(['login', '--url', server.url, '--client-id', 'tessera-admin', '--client-secret-stdin'], 'wrong-secret\n');
    expect(wrong).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: invalid_client: /) });
    await expect(stat(config)).rejects.toThrow(/ENOENT/);

    const login = await tessera(['login', '--url', server.url, '--client-id', 'tessera-admin', '--client-secret-stdin'], `${SECRET}\n`);
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(login.stdout).toContain(`Logged in to ${server.url} as tessera-admin`);
    expect((await stat(config)).mode & 0o777).toBe(0o600);

    const clients = await tessera(['clients', 'list']);
    expect(clients).toMatchObject({ code: 0, stderr: '' });
    expect(clients.stdout).toMatch(/^CLIENT ID +NAME +TYPE +GRANT TYPES +SCOPES\n/);
    expect(clients.stdout).toMatch(/^tessera-admin +.+ +confidential +client_credentials +tessera:admin$/m);
    expect(await tessera(['roles', 'set', 'e2e-role', '--scope', 'orders:read', '--json'])).toMatchObject({ code: 0, stderr: '' });
    const created = await tessera(['users', 'create', 'e2e-user', '--role', 'e2e-role', '--password-stdin', '--json'], 'e2e-user-password\n');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const users = await tessera(['users', 'list', '--json']);
    expect(JSON.parse(users.stdout).items).toContainEqual(JSON.parse(created.stdout));
    expect(await tessera(['status'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^credentials from: +.+config\.json$/m) });

    expect(await tessera(['clients', 'get', 'no-such-client'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: not_found: /) });
    expect(await tessera(['users', 'list', '--limit', '0'])).toMatchObject({ code: 2, stdout: '' });
    expect(await tessera(['clients', 'list', '--url', 'http://127.0.0.1:9'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no admin credentials for http://127.0.0.1:9') });

    expect(await tessera(['logout'])).toMatchObject({ code: 0, stdout: `Removed ${config}.\n` });
    expect(await tessera(['clients', 'list'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('tessera login') });
    walked.add('login');
    walked.add('logout');
  }, 60_000);

  test('every subcommand once against the server, with its output and exit code', async () => {
    const start = new Date().toISOString();
    await ok(['login', '--url', server.url, '--client-id', 'tessera-admin', '--client-secret-stdin'], SECRET);
    expect(await ok(['status'])).toMatch(/^url: +http:\/\/127\.0\.0\.1:\d+$/m);

    // Roles and users.
    expect(await json(['roles', 'set', 'walker', '--scope', 'orders:read'])).toMatchObject({ name: 'walker', scopes: ['orders:read'] });
    expect(await ok(['roles', 'list'])).toMatch(/^walker +orders:read +\S+Z$/m);
    expect(await ok(['roles', 'get', 'walker'])).toMatch(/^scopes: +orders:read$/m);
    await refused(['roles', 'get', 'no-such-role'], 'not_found');
    const walker = await json(['users', 'create', 'walker', '--role', 'walker', '--password-stdin'], 'walker-password-1');
    expect(await ok(['users', 'list'])).toMatch(new RegExp(`^${walker.id} +walker +walker +active +\\S+Z$`, 'm'));
    expect(await json(['users', 'get', 'walker'])).toEqual(walker);
    expect(await json(['users', 'update', 'walker', '--role', 'walker', ''])).toMatchObject({ roles: ['walker'] });
    expect(await ok(['users', 'set-password', walker.id, '--password-stdin'], 'walker-password-2')).toBe(`Password of walker (${walker.id}) changed.\n`);
    await refused(['users', 'get', 'no-such-user'], 'not_found');
    await badUsage(['users', 'update', 'walker']);

    // Clients.
    const svc = await json(['clients', 'create', 'walk-svc', '--scope', 'orders:read']);
    expect(svc.client_secret).toEqual(expect.any(String));
    expect(await ok(['clients', 'list'])).toMatch(/^walk-svc +walk-svc +confidential +client_credentials +orders:read$/m);
    expect(await ok(['clients', 'get', 'walk-svc'])).toMatch(/^type: +confidential$/m);
    expect(await json(['clients', 'update', 'walk-svc', '--name', 'Walk service'])).toMatchObject({ name: 'Walk service' });
    const rotated = await ok(['clients', 'rotate-secret', 'walk-svc']);
    expect(rotated).toMatch(/^client_secret: \S+$/m);
    expect(rotated).toContain('will not be shown again');
    expect(await ok(['clients', 'delete', 'walk-svc'])).toBe('Deleted client walk-svc.\n');
    await refused(['clients', 'get', 'walk-svc'], 'not_found');
    await badUsage(['clients', 'create', 'x', '--grant-type', 'password']);

    // API tokens.
    const token = await json(['api-tokens', 'create', '--user', 'walker', '--name', 'walk', '--scope', 'orders:read', '--expires-in', '3600']);
    expect(token.token).toMatch(/^tsp_[0-9A-Za-z]{38}$/);
    expect(await ok(['api-tokens', 'list', '--user', 'walker'])).toMatch(new RegExp(`^${token.id} +walk +${walker.id} +orders:read +active `, 'm'));
    expect(await ok(['api-tokens', 'get', token.id])).toMatch(/^status: +active$/m);
    expect(await json(['api-tokens', 'usage', token.id])).toEqual({ id: token.id, last_used_at: null, last_used_ip: null, routes: {}, scopes: {} });
    const again = await json(['api-tokens', 'rotate', token.id]);
    expect(again.token).not.toBe(token.token);
    expect(await json(['api-tokens', 'revoke', token.id, '--reason', 'walk over'])).toMatchObject({ status: 'revoked', revocation_reason: 'walk over' });
    await refused(['api-tokens', 'get', 'tok_AAAAAAAAAAAAAAAA'], 'not_found');
    await refused(['api-tokens', 'rotate', token.id], 'conflict');
    await badUsage(['api-tokens', 'create', '--user', 'walker']);

    // Revoking a user's tokens, deleting the user and the role.
    expect((await json(['users', 'revoke-tokens', 'walker'])).tokens_revoked_at).toEqual(expect.any(String));
    expect(await ok(['users', 'delete', 'walker'])).toBe(`Deleted user ${walker.id}.\n`);
    expect(await ok(['roles', 'delete', 'walker'])).toBe('Deleted role walker.\n');

    // Keys, on the server and offline.
    const keys = await json(['keys', 'list']);
    const next = keys.items.find((k: { state: string }) => k.state === 'next').kid;
    expect((await json(['keys', 'rotate'])).active).toBe(next);
    expect(JSON.parse(await ok(['keys', 'generate', '--dir', path.join(dir, 'offline-keys'), '--json']))).toMatchObject({ state: 'next' });

    // Webhooks (nothing listens at the URL: the walk only needs the server's answers).
    const hook = await json(['webhooks', 'create', 'http://127.0.0.1:9/hooks', '--event', 'key.rotated']);
    expect(hook.secret).toMatch(/^whsec_/);
    expect(await ok(['webhooks', 'list'])).toMatch(new RegExp(`^${hook.id} +http://127\\.0\\.0\\.1:9/hooks +key\\.rotated +no$`, 'm'));
    expect(await ok(['webhooks', 'get', hook.id])).toMatch(/^event_types: +key\.rotated$/m);
    expect(await json(['webhooks', 'update', hook.id, '--all-events'])).toMatchObject({ event_types: null });
    expect(await ok(['webhooks', 'rotate-secret', hook.id])).toMatch(/^secret: whsec_\S+$/m);
    expect(await ok(['webhooks', 'test', hook.id])).toMatch(/^Queued webhook\.test as msg_/);
    expect(await ok(['webhooks', 'dead-letters'])).toBe('No dead letters.\n');
    await refused(['webhooks', 'redeliver', 'whd_000000000AAAAAAAAAAAA'], 'not_found');
    expect(await ok(['webhooks', 'delete', hook.id])).toBe(`Deleted webhook endpoint ${hook.id}.\n`);
    await badUsage(['webhooks', 'create', 'http://127.0.0.1:9/hooks', '--event', 'nope']);

    // Reports and narrowing (nothing exercised any scope here: narrowing refuses).
    expect(await json(['reports', 'least-privilege', '--kind', 'client'])).toMatchObject({ window: 2_592_000, items: expect.any(Array) });
    expect(await ok(['reports', 'unused'])).toBe('No unused API tokens.\n');
    expect(await ok(['reports', 'expiring'])).toMatch(/^No API tokens expire before \S+Z\.$/m);
    expect(await ok(['clients', 'narrow', 'tessera-admin'])).toMatch(/^Every scope was used in the last 30 days; nothing removed\. Scopes: tessera:admin$/m);
    await refused(['api-tokens', 'narrow', 'tok_AAAAAAAAAAAAAAAA'], 'not_found');
    await refused(['api-tokens', 'resume', 'tok_AAAAAAAAAAAAAAAA'], 'not_found');

    // Trust policies (keys inline: the walk only needs the server's answers).
    await json(['clients', 'create', 'walk-ci', '--grant-type', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '--scope', 'deploy']);
    const jwksFile = path.join(dir, 'issuer-jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] }));
    const policy = await json(['trust-policies', 'create', 'walk-gha', '--issuer', 'https://token.actions.githubusercontent.com', '--jwks-file', jwksFile,
      '--audience', server.url, '--condition', 'repository=acme/app', '--client-id', 'walk-ci', '--scope', 'deploy']);
    expect(policy).toMatchObject({ id: 'walk-gha', conditions: { repository: ['acme/app'] }, scopes: ['deploy'] });
    expect(await ok(['trust-policies', 'list'])).toMatch(/^walk-gha +https:\/\/token\.actions\.githubusercontent\.com +walk-ci +repository=acme\/app +deploy$/m);
    expect(await ok(['trust-policies', 'get', 'walk-gha'])).toMatch(/^keys: +inline: 1 key\(s\)$/m);
    expect(await json(['trust-policies', 'update', 'walk-gha', '--subject', 'gh:{repository}'])).toMatchObject({ subject: 'gh:{repository}' });
    await refused(['trust-policies', 'create', 'walk-bad', '--issuer', 'http://issuer.example', '--audience', server.url, '--condition', 'sub=x', '--client-id', 'walk-ci'], 'invalid_request');
    expect(await ok(['trust-policies', 'delete', 'walk-gha'])).toBe('Deleted trust policy walk-gha.\n');
    await badUsage(['trust-policies', 'create', 'walk-x', '--issuer', 'https://i.example', '--client-id', 'walk-ci', '--audience', 'a', '--condition', 'no-equals']);

    // The audit log saw all of it.
    expect(await ok(['audit', 'list', '--type', 'client.deleted'])).toMatch(/ client\.deleted +client tessera-admin +walk-svc /);
    const exported = (await ok(['audit', 'export', '--since', start])).trimEnd().split('\n').map((l) => JSON.parse(l).type);
    expect(exported).toEqual(expect.arrayContaining(['role.created', 'user.created', 'client.created', 'api_token.revoked', 'user.deleted', 'key.rotated', 'webhook.created', 'webhook.deleted']));
    expect(JSON.parse(await ok(['audit', 'tail', '--since', start, '--type', 'user.created', '--max-events', '1', '--json']))).toMatchObject({ subject: walker.id });
    await badUsage(['audit', 'list', '--since', 'yesterday']);

    // The offline commands.
    const file = path.join(dir, 'bootstrap.json');
    await writeFile(file, JSON.stringify({ roles: { r: ['a'] } }));
    expect(await ok(['config', 'check', file])).toContain('is valid: 1 roles, 0 users, 0 clients');
    await writeFile(path.join(dir, 'leak.txt'), generateOpaqueToken('api'));
    expect((await cli(['scan', path.join(dir, 'leak.txt')])).code).toBe(1);

    // `keys import` works on Redis, not through the server: here, without a passphrase for the keys, it is
    // refused as a usage error; test/cli/keys-import.test.ts imports a keys dir into a real Redis.
    const imported = await cli(['keys', 'import', '--dir', path.join(dir, 'no-keys')]);
    expect({ code: imported.code, stdout: imported.stdout, stderr: imported.stderr }).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^error: .+\n$/) });

    await ok(['logout']);
    // `serve` runs the server itself: test/process/first-start.test.ts starts it as a real process.
    walked.add('serve');
    expect([...LEAVES].filter((l) => !walked.has(l))).toEqual([]);
  }, 120_000);
});
