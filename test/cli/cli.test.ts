/** The `tessera` bin as a user runs it (built by pretest): exit codes of the contract. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';

const BIN = path.resolve('bin/tessera.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

test('--help exits 0 and lists the commands', () => {
  const r = run('--help');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/keys/);
  expect(r.stdout).toMatch(/config/);
  expect(r.stdout).toMatch(/scan/);
});

test('bad usage exits 2', () => {
  expect(run('no-such-command').status).toBe(2);
  expect(run('keys', 'generate', '--alg', 'HS256').status).toBe(2);
  expect(run('config', 'check').status).toBe(2);
});

test('keys generate adds a key file offline', async () => {
  const r = run('keys', 'generate', '--dir', path.join(dir, 'keys'), '--json');
  expect(r.status).toBe(0);
  const info = JSON.parse(r.stdout);
  expect(info).toMatchObject({ state: 'next', alg: 'EdDSA', published: true });
  expect(await readdir(path.join(dir, 'keys'))).toEqual([`${info.kid}.json`]);
});

test('config check: 0 for a valid file, 2 with the problems for an invalid one', async () => {
  await writeFile(path.join(dir, 'ok.json'), JSON.stringify({ roles: { r: ['a'] } }));
  await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ clients: [{ client_id: 'x', secret: 'y' }] }));
  const ok = run('config', 'check', path.join(dir, 'ok.json'));
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('is valid: 1 roles, 0 users, 0 clients');
  const bad = run('config', 'check', path.join(dir, 'bad.json'));
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('secret');
});

test('scan exits 1 and names the file and line of a planted token', async () => {
  await writeFile(path.join(dir, 'leak.txt'), `one\n${generateOpaqueToken('api')}\n`);
  const r = run('scan', dir);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^leak\.txt:2: api_token tsp_/);
});
