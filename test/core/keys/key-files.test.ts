import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.js';
import { openManager, signToken, tempDirs, verifyWithJwks } from './helpers.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

async function keyFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => join(dir, n));
}

async function openError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('key files on disk', () => {
  it('creates a missing keys dir with mode 0700 and key files with mode 0600', async () => {
    const dir = join(await dirs.make(), 'nested', 'keys');
    const keys = await openManager(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await keyFiles(dir);
    expect(files).toHaveLength(2);
    for (const f of files) expect((await stat(f)).mode & 0o777).toBe(0o600);
    keys.close();
  });

  it('writes one <kid>.json per key with every documented field and no leftovers', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const kid = keys.signingKey().kid;
    const file = JSON.parse(await readFile(join(dir, `${kid}.json`), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(file)).toEqual([
      'version', 'kid', 'alg', 'state', 'created_at', 'activated_at', 'retired_at', 'encrypted', 'private_key',
    ]);
    expect(file).toMatchObject({ version: 1, kid, alg: 'EdDSA', state: 'active', retired_at: null, encrypted: false });
    expect(new Date(file.created_at as string).toISOString()).toBe(file.created_at);
    expect(file.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // No temp files or lock left behind by the atomic writes.
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    keys.close();
  });

  it('encrypts private keys when a passphrase is given and reopens with it', async () => {
    const dir = await dirs.make();
    const first = await openManager(dir, { passphrase: 'correct horse' });
    for (const f of await keyFiles(dir)) {
      const file = JSON.parse(await readFile(f, 'utf8')) as { encrypted: boolean; private_key: string };
      expect(file.encrypted).toBe(true);
      expect(file.private_key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    }
    const token = await signToken(first);
    first.close();
    const again = await openManager(dir, { passphrase: 'correct horse' });
    expect(again.signingKey().kid).toBe(first.signingKey().kid);
    await expect(verifyWithJwks(again, token)).resolves.toBeDefined();
    again.close();
  });

  it('refuses a wrong passphrase with a one-line ConfigError naming TESSERA_KEYS_PASSPHRASE', async () => {
    const dir = await dirs.make();
    (await openManager(dir, { passphrase: 'correct horse' })).close();
    const err = await openError(openManager(dir, { passphrase: 'battery staple' }));
    expect(err.problems.length).toBeGreaterThan(0);
    for (const line of err.problems) {
      expect(line).toMatch(/^TESSERA_KEYS_PASSPHRASE does not decrypt key file .+\.json \(wrong passphrase\?\)$/);
    }
  });

  it('refuses encrypted keys without a passphrase, saying to set TESSERA_KEYS_PASSPHRASE', async () => {
    const dir = await dirs.make();
    (await openManager(dir, { passphrase: 'correct horse' })).close();
    const err = await openError(openManager(dir));
    for (const line of err.problems) {
      expect(line).toMatch(/^key file .+\.json is encrypted: set TESSERA_KEYS_PASSPHRASE/);
      expect(line).not.toContain('\n');
    }
    // Nothing was added to the dir by the failed start.
    expect(await keyFiles(dir)).toHaveLength(2);
  });

  it('stops start-up with a ConfigError naming a file that is not valid JSON', async () => {
    const dir = await dirs.make();
    (await openManager(dir)).close();
    const bad = join(dir, 'corrupt.json');
    await writeFile(bad, '{"version": 1, "kid": ', { mode: 0o600 });
    const err = await openError(openManager(dir));
    expect(err.problems).toEqual([expect.stringContaining(bad)]);
    expect(err.problems[0]).toMatch(/not valid JSON/);
  });

  it('stops start-up with a ConfigError naming a file whose fields are wrong', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const path = join(dir, `${keys.signingKey().kid}.json`);
    keys.close();
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...file, alg: 'HS256' }));
    const err = await openError(openManager(dir));
    expect(err.problems).toEqual([expect.stringMatching(new RegExp(`^key file ${path}: alg `))]);
  });

  it('refuses a key file whose kid is not the thumbprint of its key', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const [a, b] = keys.list();
    keys.close();
    const fileA = JSON.parse(await readFile(join(dir, `${a!.kid}.json`), 'utf8')) as Record<string, unknown>;
    const fileB = JSON.parse(await readFile(join(dir, `${b!.kid}.json`), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, `${a!.kid}.json`), JSON.stringify({ ...fileA, private_key: fileB.private_key }));
    const err = await openError(openManager(dir));
    expect(err.problems[0]).toMatch(/kid is not the key's RFC 7638 thumbprint/);
  });

  it('refuses a keys dir path that is a file', async () => {
    const file = join(await dirs.make(), 'not-a-dir');
    await writeFile(file, '');
    const err = await openError(openManager(file));
    expect(err.problems).toEqual([`TESSERA_KEYS_DIR: ${file} is not a directory`]);
  });
});
