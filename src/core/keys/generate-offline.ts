/**
 * `tessera keys generate`: adds a key to the keys dir with no server running
 * (for a first deployment, a read-only mount, or an emergency rotation).
 * Running servers pick the change up through hot reload.
 */
import { generateKeyFile, loadKeyDir, normalisePassphrase } from './key-material.js';
import { keyInfo } from './key-snapshot.js';
import { DirKeyStorage } from './key-storage.js';
import { rotateLocked } from './rotation.js';
import type { KeyInfo, SigningAlg } from './types.js';

export interface GenerateKeyOfflineOptions {
  dir: string;
  alg: SigningAlg;
  passphrase?: string | null;
  /** Make the new key sign now (the same rotation as KeyManager.rotate()); otherwise it is added as `next`. */
  activate?: boolean;
  /** Injectable clock (epoch ms) for tests. */
  now?: () => number;
}

export async function generateKeyOffline(opts: GenerateKeyOfflineOptions): Promise<KeyInfo> {
  const now = opts.now ?? Date.now;
  const passphrase = normalisePassphrase(opts.passphrase);
  const storage = new DirKeyStorage(opts.dir, passphrase);
  await storage.prepare();
  return storage.withLock(async () => {
    // Decrypting the existing keys first makes a mistyped passphrase fail
    // here, instead of adding a key the servers then cannot read.
    await loadKeyDir(opts.dir, passphrase);
    const file = await generateKeyFile(opts.alg, new Date(now()).toISOString(), passphrase);
    await storage.write(file);
    if (opts.activate) {
      await rotateLocked({ storage, alg: opts.alg, now, promoteKid: file.kid });
    }
    // Read back, so the answer is what is on disk (state and times after rotation).
    const key = (await loadKeyDir(opts.dir, passphrase)).find((k) => k.file.kid === file.kid);
    if (!key) throw new Error(`key ${file.kid} vanished from ${opts.dir} while generating it`);
    // Next and active keys are always published, so the window does not matter here.
    return keyInfo(key, now(), 0);
  });
}
