/**
 * Tests that run the built code (bin/tessera.js, examples/*.mjs, the console)
 * need dist/ to match the sources. `npm test` builds first (pretest); a lone
 * jest run may not have, or may follow an edit, so build the way `npm start`
 * does: scripts/build-if-stale.mjs builds when a source (src/, console/,
 * openapi.yaml, the compiler settings) is newer than the last complete build.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** Builds when the last complete build is older than a source; then every file of `built` (paths under the repo) must exist. */
export async function ensureBuilt(...built: string[]): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build-if-stale.mjs'], { encoding: 'utf8' });
  const missing = built.filter((f) => !existsSync(path.resolve(f)));
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')}`);
}
