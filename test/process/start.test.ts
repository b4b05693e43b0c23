import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { printedAdminSecret, runToExit, startServer } from '../support/process.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-proc-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

test('a first start with no Redis warns once, prints the admin secret once, and the quick start works', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys') });
  try {
    const warnings = server.stdout().split('\n').filter((l) => l.startsWith('{') && l.includes('in-memory store'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(server.stdout()).toContain('will not be shown again');
    const secret = printedAdminSecret(server.stdout());
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The README quick start: a token for the admin client, verified against the JWKS.
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`tessera-admin:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=tessera:admin',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string };
    const issuer = `http://localhost:${server.port}`;
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), { issuer, typ: 'at+jwt' });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.scope).toBe('tessera:admin');
    // Logs never carry the secret.
    const logLines = server.stdout().split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.join('\n')).not.toContain(secret!);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('TESSERA_BOOTSTRAP_ADMIN_SECRET sets the admin secret and nothing is printed', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: 'a-configured-admin-secret' });
  try {
    expect(printedAdminSecret(server.stdout())).toBeNull();
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=tessera-admin&client_secret=a-configured-admin-secret',
    });
    expect(res.status).toBe(200);
  } finally {
    await server.stop();
  }
});

test('bad configuration exits 2 with one line per bad variable and no stack trace', async () => {
  const { code, stdout, stderr } = await runToExit({ PORT: 'eighty', TESSERA_SIGNING_ALG: 'HS256', TESSERA_ACCESS_TOKEN_TTL: '0' });
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr.trim().split('\n')).toEqual([
    'tessera: PORT: must be a port number from 0 to 65535 (0 = any free port)',
    'tessera: TESSERA_SIGNING_ALG: must be one of EdDSA, ES256, RS256, PS256',
    'tessera: TESSERA_ACCESS_TOKEN_TTL: must be a whole number of seconds from 1 to 86400',
  ]);
});

test('a wrong keys passphrase exits 2 with a clear message', async () => {
  const keys = path.join(dir, 'keys');
  const first = await startServer({ TESSERA_KEYS_DIR: keys, TESSERA_KEYS_PASSPHRASE: 'right-passphrase' });
  await first.stop();
  const { code, stderr } = await runToExit({ PORT: '0', TESSERA_KEYS_DIR: keys, TESSERA_KEYS_PASSPHRASE: 'wrong-passphrase' });
  expect(code).toBe(2);
  expect(stderr).toMatch(/^tessera: .*TESSERA_KEYS_PASSPHRASE/m);
  expect(stderr).not.toMatch(/\n\s+at /);
});

test('an invalid bootstrap file exits 2 naming the problem', async () => {
  const file = path.join(dir, 'tessera.json');
  await writeFile(file, JSON.stringify({ clients: [{ client_id: 'x', colour: 'red' }] }));
  const { code, stderr } = await runToExit({ PORT: '0', TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_CONFIG: file });
  expect(code).toBe(2);
  expect(stderr).toContain('TESSERA_CONFIG');
  expect(stderr).toContain('colour');
});

test('an unreachable Redis exits 2 with a message that hides the password', async () => {
  const { code, stderr } = await runToExit({ PORT: '0', TESSERA_KEYS_DIR: path.join(dir, 'keys'), REDIS_URL: 'redis://:hunter2-password@127.0.0.1:1' }, 20_000);
  expect(code).toBe(2);
  expect(stderr).toMatch(/^tessera: .*Redis/m);
  expect(stderr).not.toContain('hunter2-password');
});
