// Links this package's own `bin` entries into node_modules/.bin of a checkout.
//
// npm links the bins of dependencies, never the root package's own, so in a
// checkout `npx -p @tessera-auth/server tessera ...` (the form the docs use,
// which names the package so that it can never resolve to another one) would
// find no `tessera`. Run from `prepare`, after the build.
import { mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { bin = {} } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const binDir = path.join(root, 'node_modules', '.bin');
await mkdir(binDir, { recursive: true });

for (const [name, file] of Object.entries(bin)) {
  const link = path.join(binDir, name);
  const target = path.relative(binDir, path.join(root, file));
  const current = await readlink(link).catch(() => null);
  if (current === target) continue;
  await rm(link, { force: true });
  await symlink(target, link);
}
