/**
 * `tessera audit ...` against a real Tessera over HTTP: events are caused
 * through the admin API, then read back in-process through run() (stdout and
 * stderr captured), and once through the built bin (a real Ctrl-C).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { startCli as startCliIn, type CliEnv } from '../support/cli.js';
import { ensureBuilt } from '../support/build.js';

const execFileAsync = promisify(execFile);

let h: Harness & { url: string };
let adminToken: string;
let aliceId: string;
let tmp: string;

interface Event {
  id: string;
  time: string;
  type: string;
  actor: { type: string; id: string | null } | null;
  subject: string | null;
  token_id: string | null;
  route: string | null;
  [k: string]: unknown;
}

/** The admin API directly (not the CLI), to cause events. */
async function admin(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(h.url + p, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Creates an API token for alice through the admin API (one api_token.created event); answers its id. */
async function createToken(name = 'audited'): Promise<string> {
  const r = await admin('POST', '/admin/v1/api-tokens', { user: aliceId, name, scopes: ['orders:read'] });
  expect(r.status).toBe(201);
  await h.flushAudit();
  return r.body.id as string;
}

async function revokeToken(id: string): Promise<void> {
  expect((await admin('DELETE', `/admin/v1/api-tokens/${id}`, { reason: 'test' })).status).toBe(200);
  await h.flushAudit();
}

async function rotateToken(id: string): Promise<void> {
  expect((await admin('POST', `/admin/v1/api-tokens/${id}/rotate`)).status).toBe(200);
  await h.flushAudit();
}

beforeAll(async () => {
  h = await startListeningHarness();
  adminToken = await h.adminToken();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tessera-audit-cli-'));
  await h.ctx.users.putRole('reader', ['orders:read']);
  const created = await admin('POST', '/admin/v1/users', { username: 'alice', password: 'alice-password', roles: ['reader'] });
  expect(created.status).toBe(201);
  aliceId = created.body.id;
  await h.flushAudit();
});
afterAll(async () => {
  await h.stop();
  await rm(tmp, { recursive: true, force: true });
});

const startCli = (args: string[], env: CliEnv = { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET }) => startCliIn(args, env);
const cli = (args: string[], env?: CliEnv) => startCli(args, env).done;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

const jsonLines = (text: string): Event[] => text.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event);

test('list --token finds exactly that token\'s events, newest first; --json is the server\'s answer', async () => {
  const id = await createToken();
  const other = await createToken('another');
  await revokeToken(id);

  const json = await cli(['audit', 'list', '--token', id, '--json']);
  expect(json).toMatchObject({ code: 0, stderr: '' });
  const page = JSON.parse(json.stdout) as { items: Event[]; next_cursor: string | null };
  expect(page.next_cursor).toBeNull();
  expect(page.items.map((e) => e.type)).toEqual(['api_token.revoked', 'api_token.created']);
  expect(page.items.every((e) => e.token_id === id && e.subject === aliceId)).toBe(true);
  expect(page.items[0]).toMatchObject({ actor: { type: 'client', id: 'tessera-admin' }, route: `DELETE /admin/v1/api-tokens/${id}` });
  expect(page.items[0]!.detail).toEqual({ reason: 'test' });
  expect(JSON.stringify(page)).not.toContain(other);

  const asc = JSON.parse((await cli(['audit', 'list', '--token', id, '--order', 'asc', '--json'])).stdout);
  expect(asc.items.map((e: Event) => e.type)).toEqual(['api_token.created', 'api_token.revoked']);

  const text = await cli(['audit', 'list', '--token', id]);
  expect(text).toMatchObject({ code: 0, stderr: '' });
  const [header, ...rows] = text.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^TIME +TYPE +ACTOR +SUBJECT +TOKEN +ROUTE$/);
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatch(new RegExp(`^\\S+Z +api_token\\.revoked +client tessera-admin +${aliceId} +${id} +DELETE /admin/v1/api-tokens/${id}$`));
  expect(rows[1]).toMatch(new RegExp(`^\\S+Z +api_token\\.created +client tessera-admin +${aliceId} +${id} +POST /admin/v1/api-tokens$`));
  expect(header!.indexOf('TOKEN')).toBe(rows[0]!.indexOf(id));
});

test('list pages with --limit and --cursor; --type, --actor, --subject and --since/--until filter', async () => {
  const before = new Date().toISOString();
  const id = await createToken();
  await rotateToken(id);
  await revokeToken(id);
  const after = new Date(Date.now() + 1).toISOString();

  const first = JSON.parse((await cli(['audit', 'list', '--token', id, '--limit', '2', '--json'])).stdout);
  expect(first.items.map((e: Event) => e.type)).toEqual(['api_token.revoked', 'api_token.rotated']);
  expect(first.next_cursor).toEqual(expect.any(String));
  const text = await cli(['audit', 'list', '--token', id, '--limit', '2']);
  expect(text.stdout).toContain(`More: add --cursor ${first.next_cursor}`);
  const second = JSON.parse((await cli(['audit', 'list', '--token', id, '--limit', '2', '--cursor', first.next_cursor, '--json'])).stdout);
  expect(second.items.map((e: Event) => e.type)).toEqual(['api_token.created']);

  const rotated = JSON.parse((await cli(['audit', 'list', '--type', 'api_token.rotated', '--subject', aliceId, '--actor', 'tessera-admin', '--json'])).stdout);
  expect(rotated.items.map((e: Event) => e.token_id)).toContain(id);
  expect(rotated.items.every((e: Event) => e.type === 'api_token.rotated')).toBe(true);

  const window = JSON.parse((await cli(['audit', 'list', '--since', before, '--until', after, '--order', 'asc', '--json'])).stdout);
  expect(window.items.filter((e: Event) => e.token_id === id).map((e: Event) => e.type))
    .toEqual(['api_token.created', 'api_token.rotated', 'api_token.revoked']);
  const none = await cli(['audit', 'list', '--token', id, '--until', before]);
  expect(none).toMatchObject({ code: 0, stdout: 'No audit events.\n' });
});

test('tail prints the events from --since, then new ones as they happen, and stops after --max-events', async () => {
  const since = new Date().toISOString();
  const id = await createToken();
  const tail = startCli(['audit', 'tail', '--token', id, '--since', since, '--interval', '100', '--max-events', '3', '--json']);
  // The event from before the start comes first; the next ones can only come from polling.
  await until(() => tail.output().stdout.includes('\n'));
  await rotateToken(id);
  await revokeToken(id);
  const r = await tail.done;
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const events = jsonLines(r.stdout);
  expect(events.map((e) => e.type)).toEqual(['api_token.created', 'api_token.rotated', 'api_token.revoked']);
  expect(events.every((e) => e.token_id === id)).toBe(true);
  expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
});

test('tail without --since prints only new events, one line each, and ends with exit 0 on SIGINT', async () => {
  const id = await createToken();
  const tail = startCli(['audit', 'tail', '--token', id, '--interval', '100']);
  // The tail starts from the log's newest event when it starts; repeat the
  // rotation until one falls after that, without guessing how long it takes.
  for (let i = 0; i < 50 && !tail.output().stdout.includes('api_token.rotated'); i++) {
    await rotateToken(id);
    await sleep(200);
  }
  process.emit('SIGINT');
  const r = await tail.done;
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).toMatch(new RegExp(`^\\S+Z +api_token\\.rotated +client tessera-admin +${aliceId} +${id} +POST /admin/v1/api-tokens/${id}/rotate$`));
  }
  expect(r.stdout).not.toContain('api_token.created');
  expect(process.listeners('SIGINT')).toHaveLength(0);
});

test('tail --type follows across unrelated events', async () => {
  const tail = startCli(['audit', 'tail', '--type', 'api_token.revoked', '--interval', '100', '--max-events', '1', '--json']);
  let id = '';
  for (let i = 0; i < 50 && !tail.output().stdout.includes('\n'); i++) {
    id = await createToken(`noise ${i}`);
    await revokeToken(id);
    await sleep(200);
  }
  const r = await tail.done;
  expect(r.code).toBe(0);
  const [event] = jsonLines(r.stdout);
  expect(event).toMatchObject({ type: 'api_token.revoked', subject: aliceId });
});

test('export writes JSON lines, oldest first, to --output or to stdout', async () => {
  const id = await createToken();
  await rotateToken(id);
  await revokeToken(id);
  const file = path.join(tmp, 'audit.jsonl');
  const r = await cli(['audit', 'export', '--token', id, '--output', file]);
  expect(r).toMatchObject({ code: 0, stderr: '', stdout: `3 events written to ${file}\n` });
  const content = await readFile(file, 'utf8');
  expect(content.endsWith('\n')).toBe(true);
  const events = jsonLines(content);
  expect(events.map((e) => e.type)).toEqual(['api_token.created', 'api_token.rotated', 'api_token.revoked']);
  expect(events.every((e) => e.token_id === id)).toBe(true);
  if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);

  const out = await cli(['audit', 'export', '--token', id]);
  expect(out).toMatchObject({ code: 0, stderr: '', stdout: content });
  const all = jsonLines((await cli(['audit', 'export', '--type', 'user.created'])).stdout);
  expect(all.map((e) => e.subject)).toContain(aliceId);

  const empty = path.join(tmp, 'empty.jsonl');
  expect(await cli(['audit', 'export', '--token', 'tok_nothing', '-o', empty])).toMatchObject({ code: 0, stdout: `0 events written to ${empty}\n` });
  expect(await readFile(empty, 'utf8')).toBe('');
  const unwritable = await cli(['audit', 'export', '--token', id, '--output', path.join(tmp, 'no', 'such', 'dir.jsonl')]);
  expect(unwritable.code).toBe(2);
  expect(unwritable.stderr).toMatch(/^tessera: cannot write .+: ENOENT\n$/);
});

test('bad usage exits 2 before asking the server: a bad --since, --until, --order, --limit, --interval; no credentials or URL', async () => {
  const bad = [
    ['audit', 'list', '--since', 'yesterday'],
    ['audit', 'list', '--since', '2030-01-01'],
    ['audit', 'list', '--until', '2030-13-01T00:00:00Z'],
    ['audit', 'list', '--order', 'newest'],
    ['audit', 'list', '--limit', '0'],
    ['audit', 'list', '--limit', '201'],
    ['audit', 'list', '--type', ''],
    ['audit', 'tail', '--since', 'now'],
    ['audit', 'tail', '--interval', '5'],
    ['audit', 'tail', '--max-events', '0'],
    ['audit', 'tail', '--order', 'asc'],
    ['audit', 'export', '--since', '2030-01-01 00:00'],
    ['audit', 'export', '--cursor', 'x'],
    ['audit', 'nothing'],
  ];
  for (const args of bad) {
    const r = await cli(args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
  }
  const since = await cli(['audit', 'list', '--since', 'yesterday']);
  expect(since.stderr).toContain('--since');
  expect(since.stderr).toContain('RFC 3339');
  expect((await cli(['audit', 'list', '--order', 'newest'])).stderr).toMatch(/--order.*asc, desc/);

  const noCreds = await cli(['audit', 'list'], { TESSERA_URL: h.url });
  expect(noCreds.code).toBe(2);
  expect(noCreds.stderr).toContain('TESSERA_CLIENT_ID');
  const noUrl = await cli(['audit', 'tail'], { TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET });
  expect(noUrl.code).toBe(2);
  expect(noUrl.stderr).toContain('TESSERA_URL');
});

test('server refusals exit 1 with its error: a bad cursor, wrong credentials, no server', async () => {
  const cursor = await cli(['audit', 'list', '--cursor', 'not a cursor']);
  expect(cursor).toMatchObject({ code: 1, stdout: '' });
  expect(cursor.stderr).toMatch(/^tessera: invalid_request: .*cursor/);
  const env = { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: 'wrong' };
  for (const args of [['audit', 'list'], ['audit', 'tail', '--max-events', '1'], ['audit', 'export']]) {
    const creds = await cli(args, env);
    expect(creds).toMatchObject({ code: 1, stdout: '' });
    expect(creds.stderr).toMatch(/^tessera: invalid_client: /);
  }
  const down = await cli(['audit', 'tail', '--url', 'http://127.0.0.1:1']);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/^tessera: unreachable: cannot reach http:\/\/127\.0\.0\.1:1/);
  const file = path.join(tmp, 'refused.jsonl');
  expect((await cli(['audit', 'export', '--url', 'http://127.0.0.1:1', '--output', file])).code).toBe(1);
  expect(existsSync(file)).toBe(false);
});

test('--help exits 0 on the group and on every command', async () => {
  for (const sub of [[], ['list'], ['tail'], ['export']]) {
    const r = await cli(['audit', ...sub, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: tessera audit/);
  }
  expect((await cli(['--help'])).stdout).toMatch(/^ {2}audit /m);
});

describe('the built bin', () => {
  const BIN = path.resolve('bin/tessera.js');
  const env = () => ({ PATH: process.env.PATH ?? '', TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET });

  beforeAll(async () => {
    await ensureBuilt('dist/cli/audit.js');
  }, 180_000);

  test('audit list talks to a real server; tail ends with exit 0 on a real SIGINT', async () => {
    const id = await createToken();
    const list = await execFileAsync(process.execPath, [BIN, 'audit', 'list', '--token', id], { encoding: 'utf8', env: env() });
    expect(list.stdout).toMatch(/api_token\.created/);

    const newestIssued = async () => {
      const r = await admin('GET', '/admin/v1/audit?type=token.issued&limit=1');
      return r.body.items[0]?.id as string | undefined;
    };
    const issued = await newestIssued();
    const child = spawn(process.execPath, [BIN, 'audit', 'tail', '--interval', '100'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += String(c); });
    child.stderr.on('data', (c) => { stderr += String(c); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    // The tail's own token request shows it is running (its SIGINT handler is in place by then).
    await h.flushAudit();
    for (const end = Date.now() + 10_000; (await newestIssued()) === issued;) {
      if (Date.now() > end) throw new Error('the tail never asked for a token');
      await sleep(50);
    }
    await sleep(300);
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr).toBe('');
    // Only events after its start: its own token.issued at most.
    for (const line of stdout.split('\n').filter((l) => l !== '')) expect(line).toMatch(/ token\.issued /);
  }, 30_000);
});
