import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// `npm start` runs scripts/build-if-stale.mjs first: it must rebuild only when
// the sources changed after the last complete build. Run against a copy of the
// script in a scratch package, so the checkout's own dist/ is never touched.
const SCRIPT = path.resolve('scripts/build-if-stale.mjs');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tessera-stale-'));
  await mkdir(path.join(root, 'scripts'));
  await copyFile(SCRIPT, path.join(root, 'scripts', 'build-if-stale.mjs'));
});
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

const run = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', 'build-if-stale.mjs'), ...args], { encoding: 'utf8' });
const check = () => run('--check').status;
const at = (file: string, seconds: number) => utimes(path.join(root, file), seconds, seconds);

async function sources() {
  await mkdir(path.join(root, 'src', 'http'), { recursive: true });
  await writeFile(path.join(root, 'src', 'http', 'app.ts'), 'export {};\n');
  await mkdir(path.join(root, 'dist'));
}

test('with sources and no completed build, a build is due', async () => {
  await sources();
  expect(check()).toBe(1);
});

test('after a completed build (the stamp), no build is due until a source changes', async () => {
  await sources();
  await at('src/http/app.ts', 1_000_000);
  await at('src/http', 1_000_000);
  await at('src', 1_000_000);
  expect(run('--stamp').status).toBe(0);
  expect(check()).toBe(0);

  // A file edited deep in the tree, after the build.
  await at('src/http/app.ts', Date.now() / 1000 + 60);
  expect(check()).toBe(1);
});

test('a changed openapi.yaml (the generated client types) makes a build due too', async () => {
  await sources();
  await writeFile(path.join(root, 'openapi.yaml'), 'openapi: 3.1.0\n');
  for (const f of ['src/http/app.ts', 'src/http', 'src', 'openapi.yaml']) await at(f, 1_000_000);
  run('--stamp');
  expect(check()).toBe(0);
  await at('openapi.yaml', Date.now() / 1000 + 60);
  expect(check()).toBe(1);
});

test('an edited console source makes a build due too', async () => {
  await sources();
  await mkdir(path.join(root, 'console', 'src'), { recursive: true });
  await writeFile(path.join(root, 'console', 'src', 'main.ts'), 'export {};\n');
  for (const f of ['src/http/app.ts', 'src/http', 'src', 'console/src/main.ts', 'console/src', 'console']) await at(f, 1_000_000);
  run('--stamp');
  expect(check()).toBe(0);
  await at('console/src/main.ts', Date.now() / 1000 + 60);
  expect(check()).toBe(1);
});

test('an installed package (dist/ only, no sources) never builds', async () => {
  await mkdir(path.join(root, 'dist'));
  expect(check()).toBe(0);
  // Without --check it does nothing and says nothing.
  const r = run();
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
});
