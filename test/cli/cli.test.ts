/** The `tessera` bin as a user runs it (built by pretest): exit codes of the contract. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';

const BIN = path.resolve('bin/tessera.js');
const run = (...args: string[]) => runIn({}, ...args);
const runIn = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

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
  expect(run('config', 'check', 'a.json', 'b.json').status).toBe(2);
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

test('config check names the store the environment selects, and where keys are kept', () => {
  expect(run('config', 'check').stdout).toBe('store: memory (nothing is kept across a restart)\nsigning keys: files in ./keys\n');
  const cluster = runIn({ TESSERA_REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000', REDIS_URL: 'rediss://app:s3cret@x:1' }, 'config', 'check');
  expect(cluster.status).toBe(0);
  expect(cluster.stdout).toContain('store: Redis Cluster from 2 seed node(s) 10.0.0.1:7000,10.0.0.2:7000, TLS\n');
  expect(cluster.stdout).toContain('security-critical writes: confirmed by up to 1 replica(s) when the primary has them, within 500 ms');
  expect(cluster.stdout).not.toContain('s3cret');
  const sentinel = runIn({
    TESSERA_REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379', TESSERA_REDIS_SENTINEL_NAME: 'main',
    TESSERA_KEYS_STORAGE: 'store', TESSERA_KEYS_PASSPHRASE: 'a passphrase of some length', TESSERA_REDIS_WAIT_REPLICAS: '0',
  }, 'config', 'check', '--json');
  expect(JSON.parse(sentinel.stdout)).toEqual({
    valid: true, store: 'redis-sentinel', keys_storage: 'store',
    redis: 'Redis primary "main" through 3 sentinel(s) s1:26379,s2:26379,s3:26379',
  });
  const single = runIn({ REDIS_URL: 'redis://:pw@localhost:6379/0' }, 'config', 'check');
  expect(single.stdout).toContain('store: Redis at redis://:***@localhost:6379/0\n');
  const bad = runIn({ TESSERA_REDIS_SENTINELS: 's1:26379' }, 'config', 'check');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toBe('TESSERA_REDIS_SENTINEL_NAME: must be set with TESSERA_REDIS_SENTINELS (the name the sentinels monitor the primary under)\n');
});

test('scan exits 1 and names the file and line of a planted token', async () => {
  await writeFile(path.join(dir, 'leak.txt'), `one\n${generateOpaqueToken('api')}\n`);
  const r = run('scan', dir);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^leak\.txt:2: api_token tsp_/);
});
