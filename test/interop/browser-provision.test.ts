/**
 * How the test run gets its Chromium (test/support/chromium.mjs): the
 * registry package's binary unpacks and starts on this machine, a wrong
 * CHROMIUM_PATH is an error rather than passed over, and with no source left
 * the message says what each lacked and what to install.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { findOrProvideChromium } from '../support/chromium.mjs';

let dir: string;
const saved = { PATH: process.env.PATH, CHROMIUM_PATH: process.env.CHROMIUM_PATH, TEST_CHROMIUM_FROM: process.env.TEST_CHROMIUM_FROM };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-chromium-'));
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the @sparticuz/chromium dev dependency gives a Chromium that starts, unpacked into the project cache', async () => {
  const found = await findOrProvideChromium({ sources: ['package'] });
  expect(found.path).toMatch(/node_modules\/\.cache\/tessera-test\/chromium-[\d.]+\/chromium(-with-libs)?$/);
  expect(found.source).toMatch(/^the @sparticuz\/chromium package, Chromium \d+\./);
  const version = spawnSync(found.path, ['--version'], { encoding: 'utf8' });
  expect(version.stdout).toMatch(/^Chromium \d+\./);
  // A second call finds it unpacked.
  expect((await findOrProvideChromium({ sources: ['package'] })).path).toBe(found.path);
}, 120_000); // the first call unpacks 190 MB

test('with nothing on PATH and no CHROMIUM_PATH, the message names each source tried and what to install', async () => {
  process.env.PATH = dir;
  delete process.env.CHROMIUM_PATH;
  await expect(findOrProvideChromium({ sources: ['env', 'path'] })).rejects.toThrow(
    'No Chromium for the browser tests. Looked for one:\n' +
      '  env: CHROMIUM_PATH is not set\n' +
      '  path: none of chromium, chromium-browser, google-chrome-stable, google-chrome, chrome, chrome-headless-shell on PATH\n' +
      'Install one, then run the tests again: `npm install` (brings the @sparticuz/chromium binary, Linux x64),\n' +
      'or as root `apt-get install -y chromium` (Debian, Ubuntu), or set CHROMIUM_PATH to a Chrome or Chromium executable.',
  );
});

test('a chromium on PATH that does not start is reported, not used', async () => {
  const broken = path.join(dir, 'chromium');
  await writeFile(broken, '#!/bin/sh\necho "libnss3.so: cannot open shared object file" >&2\nexit 127\n', { mode: 0o755 });
  process.env.PATH = dir;
  await expect(findOrProvideChromium({ sources: ['path'] })).rejects.toThrow(
    `  path: on PATH but not starting: \`${broken} --version\` exited 127: libnss3.so: cannot open shared object file\n`,
  );
});

test('a CHROMIUM_PATH that does not start is an error, never passed over for another source', async () => {
  process.env.CHROMIUM_PATH = path.join(dir, 'no-such-chrome');
  await expect(findOrProvideChromium({ sources: ['env', 'package'] })).rejects.toThrow(
    `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not start: spawnSync ${process.env.CHROMIUM_PATH} ENOENT. Fix or unset CHROMIUM_PATH.`,
  );
});

test('TEST_CHROMIUM_FROM chooses the sources, and an unknown one is refused', async () => {
  process.env.TEST_CHROMIUM_FROM = 'path,pip';
  await expect(findOrProvideChromium()).rejects.toThrow('TEST_CHROMIUM_FROM names unknown sources pip; known: env, path, package, apt');
  process.env.TEST_CHROMIUM_FROM = 'package';
  expect((await findOrProvideChromium()).source).toMatch(/^the @sparticuz\/chromium package/);
}, 120_000);
