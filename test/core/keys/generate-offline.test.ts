import { ConfigError } from '../../../src/core/errors.js';
import { generateKeyOffline } from '../../../src/core/keys/generate-offline.js';
import { keysGenerateCommand } from '../../../src/cli/keys-generate.js';
import { jwksKids, openManager, tempDirs } from './helpers.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('generateKeyOffline', () => {
  it('adds a next key that a running instance publishes but does not sign with', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const signer = keys.signingKey().kid;
    const info = await generateKeyOffline({ dir, alg: 'ES256' });
    expect(info).toMatchObject({ alg: 'ES256', state: 'next', activated_at: null, published: true });
    await keys.reload();
    expect(jwksKids(keys)).toContain(info.kid);
    expect(keys.signingKey().kid).toBe(signer);
    keys.close();
  });

  it('with activate makes the new key the signing key and retires the old one', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const oldSigner = keys.signingKey().kid;
    const info = await generateKeyOffline({ dir, alg: 'RS256', activate: true });
    expect(info).toMatchObject({ alg: 'RS256', state: 'active', published: true });
    await keys.reload();
    expect(keys.signingKey()).toMatchObject({ kid: info.kid, alg: 'RS256' });
    expect(keys.list().find((k) => k.kid === oldSigner)?.state).toBe('retired');
    expect(keys.list().filter((k) => k.state === 'active')).toHaveLength(1);
    expect(keys.list().filter((k) => k.state === 'next').length).toBeGreaterThan(0);
    keys.close();
  });

  it('works on an empty dir, whose first server start then promotes the key', async () => {
    const dir = await dirs.make();
    const info = await generateKeyOffline({ dir, alg: 'EdDSA' });
    const keys = await openManager(dir);
    expect(keys.signingKey().kid).toBe(info.kid);
    keys.close();
  });

  it('refuses a passphrase that does not decrypt the existing keys, adding nothing', async () => {
    const dir = await dirs.make();
    (await openManager(dir, { passphrase: 'right' })).close();
    await expect(generateKeyOffline({ dir, alg: 'EdDSA', passphrase: 'wrong' })).rejects.toBeInstanceOf(ConfigError);
    const keys = await openManager(dir, { passphrase: 'right' });
    expect(keys.list()).toHaveLength(2);
    keys.close();
  });
});

describe('tessera keys generate', () => {
  it('prints the new kid and state as JSON with --json and exits 0', async () => {
    const dir = await dirs.make();
    const lines: string[] = [];
    const code = await keysGenerateCommand({ dir, alg: 'EdDSA', activate: true, json: true, out: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kid: expect.any(String), state: 'active', alg: 'EdDSA' });
  });

  it('prints the kid and state as text without --json', async () => {
    const dir = await dirs.make();
    const lines: string[] = [];
    expect(await keysGenerateCommand({ dir, alg: 'ES256', activate: false, json: false, out: (l) => lines.push(l) })).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43} next \(ES256\) in /)]);
  });

  it('exits 2 with the problem when the passphrase is wrong', async () => {
    const dir = await dirs.make();
    (await openManager(dir, { passphrase: 'right' })).close();
    const lines: string[] = [];
    const code = await keysGenerateCommand({
      dir, alg: 'EdDSA', passphrase: 'wrong', activate: false, json: false, out: (l) => lines.push(l),
    });
    expect(code).toBe(2);
    expect(lines[0]).toMatch(/^error: TESSERA_KEYS_PASSPHRASE does not decrypt/);
  });
});
