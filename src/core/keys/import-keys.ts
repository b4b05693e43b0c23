/**
 * Moving from a keys dir to keys in the store (`tessera keys import`): every
 * key of the dir, with its state and times, written to another storage
 * under that storage's lock. Keys are opened first (a wrong passphrase
 * fails here) and written with their PEM unencrypted for the target to
 * seal itself. Only into an empty storage: merging two sets of active keys
 * would leave nobody knowing which one signs.
 */
import { ConfigError } from '../errors.js';
import { loadKeyDir, normalisePassphrase } from './key-material.js';
import type { KeyStorage } from './key-storage.js';

export async function importKeyDir(dir: string, passphrase: string | null | undefined, target: KeyStorage): Promise<string[]> {
  const keys = await loadKeyDir(dir, normalisePassphrase(passphrase));
  if (keys.length === 0) throw new ConfigError([`TESSERA_KEYS_DIR: ${dir} holds no signing keys to import`]);
  if (!keys.some((k) => k.file.state === 'active')) throw new ConfigError([`TESSERA_KEYS_DIR: ${dir} has no active key`]);
  await target.prepare();
  const imported = await target.withLock(async () => {
    const present = await target.read();
    if (present.length) {
      throw new ConfigError([`${target.description} hold ${present.length} key(s) already: import only into an empty store`]);
    }
    // Active keys first: at every moment of the import, the target has a key that signs.
    const ordered = [...keys].sort((a, b) => Number(b.file.state === 'active') - Number(a.file.state === 'active'));
    for (const k of ordered) {
      const pem = k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await target.write({ ...k.file, encrypted: false, private_key: pem });
    }
    return ordered.map((k) => k.file.kid);
  });
  await target.announce();
  return imported;
}
