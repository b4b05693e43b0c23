/**
 * The package as people install it: `npm pack` makes a tarball with dist/
 * prebuilt; installed with --omit=dev into an empty directory, the
 * documented `npx -p @tessera-auth/server tessera serve` starts the server
 * there, to /readyz 200. The Dockerfile builds its image with these same
 * commands (checked below), since no image can be built on these machines.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt } from '../support/build.js';

const run = promisify(execFile);
/** What the Dockerfile runs, word for word, in its build and runtime stages. */
const PACK = ['pack', '--ignore-scripts'];
const INSTALL = ['install', '--omit=dev', '--no-audit', '--no-fund'];

let dir: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  await ensureBuilt('dist/main.js', 'dist/cli/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-package-'));
  const { stdout } = await run('npm', [...PACK, '--json', '--pack-destination', dir], { encoding: 'utf8' });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(dir, packed!.filename);
  files = packed!.files.map((f) => f.path);
}, 120_000);
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

test('the tarball holds the built server, the bin, the API description and the README; no sources or tests', () => {
  expect(path.basename(tarball)).toMatch(/^tessera-auth-server-\d+\.\d+\.\d+\.tgz$/);
  expect(files).toEqual(expect.arrayContaining([
    'package.json', 'README.md', 'openapi.yaml', 'bin/tessera.js', 'dist/main.js', 'dist/cli/main.js',
    'dist/index.js', 'dist/verifier/index.js', 'dist/client/tessera-client.js',
  ]));
  expect(files.filter((f) => /^(src|test|scripts|bench|examples|\.ci)\//.test(f))).toEqual([]);
});

test('installed with --omit=dev into an empty directory, npx -p @tessera-auth/server tessera serve answers /readyz 200', async () => {
  const app = path.join(dir, 'app');
  await run('mkdir', ['-p', app]);
  await run('npm', [...INSTALL, tarball], { cwd: app, encoding: 'utf8', timeout: 240_000 });
  const installed = path.join(app, 'node_modules', '@tessera-auth', 'server');
  // Production dependencies only: no dev tool came along.
  for (const dev of ['typescript', 'jest', '@sparticuz/chromium', 'playwright-core']) expect(existsSync(path.join(app, 'node_modules', dev))).toBe(false);
  // The image's command is this same bin.
  expect(await realpath(path.join(app, 'node_modules', '.bin', 'tessera'))).toBe(path.join(await realpath(installed), 'bin', 'tessera.js'));

  const child = spawn('npx', ['--no-install', '-p', '@tessera-auth/server', 'tessera', 'serve'], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? app, PORT: '0', TESSERA_KEYS_DIR: path.join(app, 'keys') },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: npx, the shell and the server stop together.
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // 'close': npx and every process holding its output (the server) have ended.
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tessera serve did not start: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /"port":(\d+)[^\n]*tessera listening/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`tessera serve exited with ${code}: ${out}`)); });
    });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'memory', checks: { store: 'ok', keys: 'ok' } });
  } finally {
    // SIGTERM to the group, as a terminal's Ctrl-C or a service manager would: npx may end by the signal itself.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  // The server itself got the stop and began its graceful shutdown.
  expect(out).toMatch(/"msg":"shutting down"/);
}, 300_000);

test('the Dockerfile builds and installs with the same commands, and runs the same bin', async () => {
  const dockerfile = await readFile('Dockerfile', 'utf8');
  const lines = dockerfile.split('\n');
  expect(lines).toContain(`RUN npm ci --no-audit --no-fund && npm ${PACK.join(' ')} && mv tessera-auth-server-*.tgz /tmp/tessera.tgz`);
  expect(lines).toContain(`RUN npm ${INSTALL.join(' ')} /tmp/tessera.tgz && rm /tmp/tessera.tgz && npm cache clean --force`);
  expect(lines).toContain('CMD ["/opt/tessera/node_modules/.bin/tessera", "serve"]');
  expect(lines.some((l) => /^HEALTHCHECK .*\/readyz/.test(l))).toBe(true);
  expect(lines).toContain('USER node');
});
