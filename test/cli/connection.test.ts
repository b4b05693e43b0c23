/** Where an admin command connects and as whom: --url > TESSERA_URL > saved login; env credentials > saved ones. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/cli/cli-errors.js';
import { writeSavedLogin } from '../../src/cli/config-file.js';
import { normalizeUrl, resolveConnection } from '../../src/cli/connection.js';

const SAVED = { url: 'http://saved.example:8080', client_id: 'saved-admin', client_secret: 'saved-secret-0123456789' };

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-conn-'));
  file = path.join(dir, 'config.json');
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const usage = (p: Promise<unknown>) => p.then(() => { throw new Error('resolved'); }, (e: unknown) => {
  expect(e).toBeInstanceOf(UsageError);
  return (e as Error).message;
});

test('with a URL and both credentials in the environment the saved login is not read at all', async () => {
  await writeFile(file, 'broken', { mode: 0o644 });
  const c = await resolveConnection(undefined, { TESSERA_URL: 'http://env.example/', TESSERA_CLIENT_ID: 'id', TESSERA_CLIENT_SECRET: 's', TESSERA_CLI_CONFIG: file });
  expect(c).toMatchObject({ url: 'http://env.example', clientId: 'id', clientSecret: 's', source: { credentials: 'environment' } });
});

test('--url wins over TESSERA_URL', async () => {
  const c = await resolveConnection('http://flag.example', { TESSERA_URL: 'http://env.example', TESSERA_CLIENT_ID: 'id', TESSERA_CLIENT_SECRET: 's' });
  expect(c.url).toBe('http://flag.example');
});

test('the saved login fills in what is not given', async () => {
  await writeSavedLogin(file, SAVED);
  const all = await resolveConnection(undefined, { TESSERA_CLI_CONFIG: file });
  expect(all).toMatchObject({ url: SAVED.url, clientId: SAVED.client_id, clientSecret: SAVED.client_secret, source: { url: file, credentials: file } });
  // The same server named explicitly (a trailing slash is the same URL) still gets the saved credentials.
  const same = await resolveConnection(`${SAVED.url}/`, { TESSERA_CLI_CONFIG: file });
  expect(same).toMatchObject({ clientId: SAVED.client_id, source: { url: '--url / TESSERA_URL', credentials: file } });
  // Environment credentials win over saved ones, for the saved URL.
  const env = await resolveConnection(undefined, { TESSERA_CLI_CONFIG: file, TESSERA_CLIENT_ID: 'id', TESSERA_CLIENT_SECRET: 's' });
  expect(env).toMatchObject({ url: SAVED.url, clientId: 'id', clientSecret: 's', source: { url: file, credentials: 'environment' } });
});

test('saved credentials are never sent to another server', async () => {
  await writeSavedLogin(file, SAVED);
  const message = await usage(resolveConnection('http://other.example', { TESSERA_CLI_CONFIG: file }));
  expect(message).toContain('no admin credentials for http://other.example');
  expect(message).toContain('TESSERA_CLIENT_ID');
  expect(message).toContain('tessera login --url http://other.example');
});

test('what is missing is bad usage that says what to set', async () => {
  const none = path.join(dir, 'none.json');
  expect(await usage(resolveConnection(undefined, { TESSERA_CLI_CONFIG: none }))).toMatch(/no server URL: give --url <url> or set TESSERA_URL, and set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET .*tessera login/);
  expect(await usage(resolveConnection('http://x.example', { TESSERA_CLI_CONFIG: none }))).toMatch(/^no admin credentials: set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET/);
  expect(await usage(resolveConnection('http://x.example', { TESSERA_CLI_CONFIG: none, TESSERA_CLIENT_ID: 'id' })))
    .toBe('TESSERA_CLIENT_ID is set but TESSERA_CLIENT_SECRET is not: set both');
  expect(await usage(resolveConnection('http://x.example', { TESSERA_CLI_CONFIG: none, TESSERA_CLIENT_SECRET: 's' })))
    .toBe('TESSERA_CLIENT_SECRET is set but TESSERA_CLIENT_ID is not: set both');
});

test('a URL must be an http(s) base URL without credentials, query or fragment; a path prefix is kept', () => {
  expect(normalizeUrl('https://auth.example.com/tessera/')).toBe('https://auth.example.com/tessera');
  for (const bad of ['not a url', 'ftp://x.example', 'http://u:p@x.example', 'http://x.example/?a=1', 'http://x.example/#f']) {
    expect(() => normalizeUrl(bad)).toThrow(UsageError);
  }
});
