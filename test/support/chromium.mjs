// Finds or provides the Chromium that the browser tests drive, so that
// `npm test` needs nothing installed by hand. Tried in this order (each
// source may be left out with TEST_CHROMIUM_FROM, e.g. `package,apt`):
//   env      CHROMIUM_PATH, when set (a wrong one is an error, never passed over);
//   path     chromium, chromium-browser, google-chrome(-stable), chrome or
//            chrome-headless-shell on PATH;
//   package  the headless Chromium that the @sparticuz/chromium dev dependency
//            ships inside it (Linux x64), unpacked once into
//            node_modules/.cache/tessera-test/, with the NSS libraries it ships
//            as well when the machine has none;
//   apt      Debian's `chromium`, installed with apt-get when the run is root.
// Plain JavaScript, not TypeScript: jest's global setup loads this file with
// Node's own resolver (no ts-jest mapping), and the test workers import it
// too. Types: chromium.d.mts.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';

export const SOURCES = ['env', 'path', 'package', 'apt'];
const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome', 'chrome-headless-shell'];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'tessera-test');

/** A source that does not apply here: the reason goes into the final message. */
class Unavailable extends Error {}

/** Whether `exe` starts (shared libraries load) and says it is Chrome or Chromium. */
function starts(exe) {
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { ok: false, detail: r.error.message };
  // The version is on stdout; wrapper scripts (Debian's) may add noise on stderr.
  const version = r.stdout.trim().split('\n')[0] ?? '';
  if (r.status === 0 && /chrom/i.test(version)) return { ok: true, detail: version };
  const out = `${r.stdout}${r.stderr}`.trim();
  return { ok: false, detail: `\`${exe} --version\` exited ${r.status ?? r.signal}: ${out.split('\n').slice(-2).join(' ') || 'no output'}` };
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function fromEnv() {
  const exe = process.env.CHROMIUM_PATH;
  if (!exe) throw new Unavailable('CHROMIUM_PATH is not set');
  const run = starts(exe);
  if (!run.ok) throw new Error(`CHROMIUM_PATH=${exe} does not start: ${run.detail}. Fix or unset CHROMIUM_PATH.`);
  return { path: exe, source: `CHROMIUM_PATH, ${run.detail}` };
}

function fromPath() {
  const failed = [];
  for (const name of PATH_NAMES) {
    const exe = onPath(name);
    if (!exe) continue;
    const run = starts(exe);
    if (run.ok) return { path: exe, source: `on PATH, ${run.detail}` };
    failed.push(run.detail);
  }
  throw new Unavailable(failed.length ? `on PATH but not starting: ${failed.join('; ')}` : `none of ${PATH_NAMES.join(', ')} on PATH`);
}

/** Unpacks a brotli file to `target`; a .tar.br into the directory `target`. */
async function unpack(file, target) {
  const isTar = file.endsWith('.tar.br');
  // A tar goes through a file, not a pipe: tar stops reading at the end-of-archive marker and would cut a pipe short.
  const out = isTar ? path.join(target, '.unpacking.tar') : target;
  await pipeline(createReadStream(file), createBrotliDecompress(), createWriteStream(out));
  if (!isTar) return;
  const tar = spawnSync('tar', ['-x', '-f', out, '-C', target], { encoding: 'utf8' });
  await rm(out, { force: true });
  if (tar.status !== 0) throw new Error(`tar could not unpack ${file}: ${(tar.stderr || tar.error?.message || '').trim()}`);
}

async function fromPackage() {
  let entry;
  try {
    entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  } catch {
    throw new Unavailable('the @sparticuz/chromium dev dependency is not installed (run npm install)');
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Unavailable(`@sparticuz/chromium ships a Linux x64 binary; this is ${process.platform}-${process.arch}`);
  }
  // The package's own executablePath() unpacks into the shared /tmp/chromium,
  // whichever version got there first; a versioned cache of our own cannot mix them up.
  const pkgDir = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
  const dir = path.join(CACHE, `chromium-${version}`);
  if (!existsSync(path.join(dir, 'chromium'))) {
    // Unpacked beside and renamed into place, so that concurrent runs never see half a binary.
    const partial = `${dir}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await unpack(path.join(pkgDir, 'bin', 'chromium.br'), path.join(partial, 'chromium'));
    await chmod(path.join(partial, 'chromium'), 0o755);
    // The NSS libraries Chromium links against, for machines that lack them.
    await unpack(path.join(pkgDir, 'bin', 'al2023.tar.br'), partial);
    await writeFile(
      path.join(partial, 'chromium-with-libs'),
      `#!/bin/sh\nLD_LIBRARY_PATH="${path.join(dir, 'lib')}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "${path.join(dir, 'chromium')}" "$@"\n`,
      { mode: 0o755 },
    );
    await rename(partial, dir).catch(async (err) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(path.join(dir, 'chromium'))) throw err;
    });
  }
  const failed = [];
  for (const exe of [path.join(dir, 'chromium'), path.join(dir, 'chromium-with-libs')]) {
    const run = starts(exe);
    if (run.ok) return { path: exe, source: `the @sparticuz/chromium package, ${run.detail}` };
    failed.push(run.detail);
  }
  throw new Unavailable(`the @sparticuz/chromium binary does not start here: ${failed.join('; ')}`);
}

function aptGet(args) {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Unavailable(`apt-get ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
}

function fromApt(log) {
  if (process.platform !== 'linux' || !onPath('apt-get')) throw new Unavailable('no apt-get on this machine');
  if (process.getuid?.() !== 0) throw new Unavailable('not root, so apt-get cannot install chromium');
  log('Installing Debian\'s chromium with apt-get for the browser tests (once for this machine)...');
  aptGet(['update', '-qq']);
  aptGet(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  const exe = onPath('chromium') ?? '/usr/bin/chromium';
  const run = starts(exe);
  if (!run.ok) throw new Unavailable(`apt-get installed chromium, but it does not start: ${run.detail}`);
  return { path: exe, source: `Debian's chromium (apt-get install chromium), ${run.detail}` };
}

/**
 * The first source that gives a Chromium that starts: `{ path, source }`, where
 * `source` says where it came from. Throws one message naming what each source
 * lacked and what to install.
 */
export async function findOrProvideChromium({ sources, log = () => undefined } = {}) {
  const wanted = sources ?? (process.env.TEST_CHROMIUM_FROM ? process.env.TEST_CHROMIUM_FROM.split(',').map((s) => s.trim()) : SOURCES);
  const unknown = wanted.filter((s) => !SOURCES.includes(s));
  if (unknown.length) throw new Error(`TEST_CHROMIUM_FROM names unknown sources ${unknown.join(', ')}; known: ${SOURCES.join(', ')}`);
  const providers = { env: fromEnv, path: fromPath, package: fromPackage, apt: () => fromApt(log) };
  const lacked = [];
  for (const source of wanted) {
    try {
      return await providers[source]();
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      lacked.push(`  ${source}: ${err.message}`);
    }
  }
  throw new Error(
    ['No Chromium for the browser tests. Looked for one:', ...lacked,
      'Install one, then run the tests again: `npm install` (brings the @sparticuz/chromium binary, Linux x64),',
      'or as root `apt-get install -y chromium` (Debian, Ubuntu), or set CHROMIUM_PATH to a Chrome or Chromium executable.'].join('\n'),
  );
}
