/**
 * The CLI's hints on the usual first-hour mistakes: refused credentials say
 * which client the CLI authenticated as, where its credentials came from,
 * and what to do.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { startCli, type CliEnv } from '../support/cli.js';

let h: Harness & { url: string };
let dir: string;
let config: string;
beforeAll(async () => { h = await startListeningHarness(); });
afterAll(async () => { await h.stop(); });
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-hints-'));
  config = path.join(dir, 'tessera', 'config.json');
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const cli = (args: string[], env: CliEnv = {}, stdin = '') => startCli(args, { TESSERA_CLI_CONFIG: config, ...env }, stdin).done;
const REFUSED = 'tessera: invalid_client: client authentication failed.';

test('wrong credentials in the environment: the hint names the variables', async () => {
  const r = await cli(['clients', 'list'], { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: 'not-the-secret' });
  expect(r).toMatchObject({ code: 1, stdout: '' });
  expect(r.stderr).toBe(`${REFUSED} The CLI authenticated as "tessera-admin" with TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET in the environment: ` +
    'check them, or unset both to use the login saved by tessera login.\n');
});

test('a saved login whose secret no longer works: the hint names the file and says to log in again', async () => {
  await mkdir(path.dirname(config), { recursive: true, mode: 0o700 });
  await writeFile(config, JSON.stringify({ url: h.url, client_id: 'tessera-admin', client_secret: 'a-rotated-secret' }), { mode: 0o600 });
  const r = await cli(['users', 'list']);
  expect(r).toMatchObject({ code: 1, stdout: '' });
  expect(r.stderr).toBe(`${REFUSED} The CLI authenticated as "tessera-admin" with the login saved in ${config}: ` +
    `the secret may have been rotated, or the server restarted on the in-memory store; run tessera login --url ${h.url} again.\n`);
});

test('a refused login: the hint says where the secret came from', async () => {
  const r = await cli(['login', '--url', h.url, '--client-id', 'tessera-admin', '--client-secret-stdin'], {}, 'not-the-secret\n');
  expect(r).toMatchObject({ code: 1, stdout: '' });
  expect(r.stderr).toBe(`${REFUSED} The CLI authenticated as "tessera-admin" with the secret read from standard input (--client-secret-stdin): ` +
    'check the client id and secret (the secret of tessera-admin is printed once, at the server\'s first start).\n');
});
