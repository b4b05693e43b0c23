// `npm start` serves what was built: `npm install` builds (prepare), and this
// builds again only when dist/ is missing or older than what it is built
// from, so a restart does not recompile. `--check` only says whether a build
// is due (exit 1 when it is); `--stamp`, the build's last step, records that
// a build completed: a build cut short (Ctrl-C) leaves files half written,
// and the sources it regenerated first are then newer than the stamp.
import { spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The build's inputs: the sources, the console's sources (bundled by scripts/build-console.mjs), the API
// description the client types are generated from, the compiler settings.
const INPUTS = ['src', 'console', 'openapi.yaml', 'tsconfig.json', 'tsconfig.build.json'];
// Written by the build's last step, once tsc has written everything.
const STAMP = 'dist/.build-complete';

/** Newest modification time under `p` (a file or a directory tree), 0 when it does not exist. */
async function newest(p) {
  const s = await stat(p).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  const entries = await readdir(p, { withFileTypes: true });
  const times = await Promise.all(entries.map((e) => newest(path.join(p, e.name))));
  return Math.max(s.mtimeMs, ...times);
}

if (process.argv.includes('--stamp')) {
  await writeFile(path.join(root, STAMP), `${new Date().toISOString()}\n`);
  process.exit(0);
}

const sources = Math.max(...(await Promise.all(INPUTS.map((i) => newest(path.join(root, i))))));
const output = await stat(path.join(root, STAMP)).then((s) => s.mtimeMs, () => 0);
// No sources (an installed package): dist/ is all there is, and it is what runs.
const stale = sources > 0 && (output === 0 || sources > output);

if (process.argv.includes('--check')) {
  process.exitCode = stale ? 1 : 0;
} else if (stale) {
  process.stderr.write(`tessera: ${output === 0 ? 'no complete build in dist/' : 'src/ is newer than dist/'}: building first (npm run build)\n`);
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
