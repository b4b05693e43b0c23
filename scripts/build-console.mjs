// Builds the web console into dist/console/: its script bundled by esbuild
// (the typed client tessera/client and openapi-fetch included), its
// stylesheet and its page copied. Part of `npm run build`, so `npm install`
// (prepare) and `npm pack` have it; the server serves dist/console/ as is.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/console');

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });
await build({
  entryPoints: [path.join(root, 'console/src/main.ts')],
  outfile: path.join(out, 'assets/console.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: path.join(root, 'console/tsconfig.json'),
});
await copyFile(path.join(root, 'console/console.css'), path.join(out, 'assets/console.css'));
await copyFile(path.join(root, 'console/index.html'), path.join(out, 'index.html'));
