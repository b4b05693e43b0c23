// `npm run fuzz`: bundles the fuzzing run (test/fuzz/run-fuzz.ts and the
// server sources it starts in-process) with esbuild, then runs it with the
// arguments given (--inputs N, --seed S, --concurrency C).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'node_modules/.cache/tessera-fuzz/run-fuzz.mjs');
await build({
  entryPoints: [path.join(root, 'test/fuzz/run-fuzz.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  sourcemap: 'inline',
  logLevel: 'warning',
  tsconfig: path.join(root, 'tsconfig.json'),
});
const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
