/**
 * What a newcomer reads at the first start of the real server process: the
 * banner at a terminal, what the in-memory store means, the hints on the
 * usual mistakes (a taken port, a mistyped variable, a broken bootstrap
 * file), and `tessera serve` / `tessera --version` from the package's bin.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { printedAdminSecret, runToExit, startServer } from '../support/process.js';

const BIN = path.resolve('bin/tessera.js');
let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-first-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const jsonLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

test('JSON logs off a terminal: level names, ISO times; the memory store and the one-time admin secret are explained', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys') });
  try {
    const logs = jsonLines(server.stdout());
    expect(logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('REDIS_URL is not set'))).toEqual({
      level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'tessera',
      msg: 'REDIS_URL is not set: using the in-memory store. Everything created while it runs (clients, users, API tokens, refresh tokens, ' +
        'revocations, and the tessera-admin client with its secret) is lost when the process stops; set REDIS_URL to keep it.',
    });
    const secret = printedAdminSecret(server.stdout());
    expect(server.stdout()).toContain(
      '\nCreated the admin client "tessera-admin". Its secret is shown now and will not be shown again:\n' +
      `  client_id:     tessera-admin\n  client_secret: ${secret}\n` +
      'With the in-memory store this client and its secret last until the process stops: the next start\n' +
      'creates a new secret (set REDIS_URL to keep them, or TESSERA_BOOTSTRAP_ADMIN_SECRET to choose the secret).\n\n',
    );
    expect(logs.find((l) => l.msg === `tessera listening on port ${server.port}`)).toMatchObject({
      level: 'info', url: `http://localhost:${server.port}`, issuer: `http://localhost:${server.port}`, store: 'memory',
    });
    // Off a terminal, the banner is not printed: the listening line carries the URL.
    expect(server.stdout()).not.toContain('Tessera is ready');
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('at a terminal (TESSERA_LOG_FORMAT=pretty): readable log lines, then the banner with the URL and what to do next', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_LOG_FORMAT: 'pretty', TESSERA_BOOTSTRAP_ADMIN_SECRET: 'a-chosen-admin-secret-0123' }, 15_000, /tessera listening on port (\d+)/);
  try {
    const url = `http://localhost:${server.port}`;
    expect(server.stdout()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: REDIS_URL is not set: using the in-memory store\./m);
    expect(server.stdout()).not.toMatch(/^\{/m);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.stdout()).toContain([
      '',
      `Tessera is ready at ${url} (memory store).`,
      'Next:',
      `  an admin token:  curl -u tessera-admin:SECRET -d grant_type=client_credentials -d scope=tessera:admin ${url}/oauth/token`,
      `  the CLI:         npx -p @tessera-auth/server tessera login --url ${url} --client-id tessera-admin`,
      `  the endpoints:   ${url}/ lists them; the README's quick start walks through the rest.`,
      '',
    ].join('\n'));
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('a mistyped TESSERA_ variable gets a warning naming the closest real one; the CLI\'s own variables do not', async () => {
  const server = await startServer({
    TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_LOG_LEVL: 'debug', TESSERA_ACCESS_TOKEN_TTLS: '60',
    TESSERA_URL: 'http://localhost:8080', TESSERA_CLIENT_ID: 'tessera-admin',
  });
  try {
    const warnings = jsonLines(server.stdout()).filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(expect.arrayContaining([
      'TESSERA_ACCESS_TOKEN_TTLS is not a Tessera variable and is ignored; did you mean TESSERA_ACCESS_TOKEN_TTL?',
      'TESSERA_LOG_LEVL is not a Tessera variable and is ignored; did you mean TESSERA_LOG_LEVEL?',
    ]));
    expect(warnings.filter((w) => String(w).includes('is not a Tessera variable'))).toHaveLength(2);
  } finally {
    await server.stop();
  }
});

/** A port that something else holds while `body` runs. */
async function withTakenPort<T>(body: (port: number) => Promise<T>): Promise<T> {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  try {
    return await body((holder.address() as net.AddressInfo).port);
  } finally {
    await new Promise((r) => holder.close(r));
  }
}

test('a taken port exits 2 saying which variable to change', async () => {
  await withTakenPort(async (port) => {
    const main = await runToExit({ PORT: String(port), TESSERA_KEYS_DIR: path.join(dir, 'keys') });
    expect(main.code).toBe(2);
    expect(main.stderr).toBe(`tessera: cannot listen on 127.0.0.1:${port}: the port is in use by another process (EADDRINUSE); ` +
      `set PORT to a free port, e.g. PORT=${port + 1}, or PORT=0 for any free port\n`);
    const metrics = await runToExit({ PORT: '0', TESSERA_METRICS_PORT: String(port), TESSERA_KEYS_DIR: path.join(dir, 'keys') });
    expect(metrics.code).toBe(2);
    expect(metrics.stderr).toBe(`tessera: cannot listen on 127.0.0.1:${port}: the port is in use by another process (EADDRINUSE); ` +
      `set TESSERA_METRICS_PORT to a free port, e.g. TESSERA_METRICS_PORT=${port + 1}, or TESSERA_METRICS_PORT=0 for any free port\n`);
  });
});

test('a bootstrap file with a JSON mistake exits 2 naming its line and column', async () => {
  const file = path.join(dir, 'tessera.json');
  await writeFile(file, '{\n  "roles": { "reader": ["orders:read"] },\n  "users": [ { "username": "alice", "password": "alice-password" }, ]\n}\n');
  const { code, stderr } = await runToExit({ PORT: '0', TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_CONFIG: file });
  expect(code).toBe(2);
  expect(stderr).toBe(`tessera: TESSERA_CONFIG: ${file} is not valid JSON: line 3, column 69: a comma before a closing bracket is not allowed in JSON\n`);
});

test('an unknown key in the bootstrap file exits 2 with "did you mean"', async () => {
  const file = path.join(dir, 'tessera.json');
  await writeFile(file, JSON.stringify({ clients: [{ client_id: 'svc', client_secret: 'svc-secret-0123456789', scope: ['orders:read'] }] }));
  const { code, stderr } = await runToExit({ PORT: '0', TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_CONFIG: file });
  expect(code).toBe(2);
  expect(stderr).toBe("tessera: TESSERA_CONFIG: clients.0: unknown key 'scope' (did you mean 'scopes'?)\n");
});

test('tessera --version prints the package version; tessera serve starts the server as npm start does', async () => {
  const { version } = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile('package.json', 'utf8'))) as { version: string };
  const printed = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
  });
  expect(printed).toBe(`${version}\n`);

  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys') }, 15_000, undefined, [BIN, 'serve']);
  try {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'memory', checks: { store: 'ok', keys: 'ok' } });
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
