/**
 * Tests that run the built code (bin/tessera.js, examples/*.mjs) need dist/
 * to match src/. `npm test` builds first (pretest); a lone jest run may not
 * have, or may follow an edit, so build when `built` is missing or older
 * than any source file.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds unless every file in `built` (paths under the repo) exists and is newer than all of src/. */
export async function ensureBuilt(...built: string[]): Promise<void> {
  const files = built.map((f) => path.resolve(f));
  const sources = newestSource(path.resolve('src'));
  if (files.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) return;
  await promisify(execFile)('npm', ['run', 'build'], { encoding: 'utf8' });
}
