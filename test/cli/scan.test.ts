import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { mask, scanCommand, scanPath } from '../../src/cli/scan.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-scan-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

test('finds a planted token with file and line, and ignores a wrong checksum', async () => {
  const api = generateOpaqueToken('api');
  const refresh = generateOpaqueToken('refresh');
  const fake = api.slice(0, -1) + (api.endsWith('0') ? '1' : '0');
  await mkdir(path.join(dir, 'src', 'deep'), { recursive: true });
  await writeFile(path.join(dir, 'src', 'config.env'), `A=1\nTOKEN=${api}\n`);
  await writeFile(path.join(dir, 'src', 'deep', 'notes.md'), `no token here\n\nold: ${fake}\nrefresh "${refresh}"`);
  const findings = await scanPath(dir);
  expect(findings).toEqual([
    { file: path.join('src', 'config.env'), line: 2, kind: 'api_token', masked: mask(api) },
    { file: path.join('src', 'deep', 'notes.md'), line: 4, kind: 'refresh_token', masked: mask(refresh) },
  ]);
});

test('the exit code is 1 with findings, 0 without, 2 for a path that does not exist; output never repeats the secret', async () => {
  const api = generateOpaqueToken('api');
  await writeFile(path.join(dir, 'a.txt'), api);
  const lines: string[] = [];
  const io = { json: false, out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  expect(await scanCommand(dir, io)).toBe(1);
  expect(lines.join('\n')).toContain('a.txt:1: api_token tsp_');
  expect(lines.join('\n')).not.toContain(api);
  await rm(path.join(dir, 'a.txt'));
  expect(await scanCommand(dir, io)).toBe(0);
  expect(await scanCommand(path.join(dir, 'missing'), io)).toBe(2);
});

test('node_modules, .git and symbolic links are skipped', async () => {
  const api = generateOpaqueToken('api');
  await mkdir(path.join(dir, 'node_modules'), { recursive: true });
  await mkdir(path.join(dir, '.git'), { recursive: true });
  await writeFile(path.join(dir, 'node_modules', 'x.js'), api);
  await writeFile(path.join(dir, '.git', 'config'), api);
  const outside = await mkdtemp(path.join(os.tmpdir(), 'tessera-scan-out-'));
  await writeFile(path.join(outside, 'secret.txt'), api);
  await symlink(outside, path.join(dir, 'link'));
  try {
    expect(await scanPath(dir)).toEqual([]);
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test('JSON output lists the findings', async () => {
  await writeFile(path.join(dir, 'a.txt'), generateOpaqueToken('refresh'));
  const out: string[] = [];
  await scanCommand(dir, { json: true, out: (l) => out.push(l), err: () => undefined });
  expect(JSON.parse(out[0]!).findings).toHaveLength(1);
});
