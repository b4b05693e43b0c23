/**
 * Key state changes, always under the storage's rotation lock and always
 * from a fresh read (another instance may have rotated since we last
 * looked). Shared by KeyManager (server), the rotation schedule and the
 * offline CLI, for both key storages, so all follow exactly the same rules.
 */
import type { KeyFile } from './key-file.js';
import { generateKeyFile } from './key-material.js';
import type { KeyStorage } from './key-storage.js';
import type { RotationResult, SigningAlg } from './types.js';

export interface RotationOptions {
  storage: KeyStorage;
  /** For newly generated keys. */
  alg: SigningAlg;
  now: () => number;
  /** Activate this next key rather than the oldest one (`tessera keys generate --activate`). */
  promoteKid?: string;
  /**
   * Delete retired keys this long after retirement. Undefined keeps them:
   * the offline CLI does not know the access-token TTL, the server does.
   */
  pruneRetiredAfterMs?: number;
}

// Parsed, not compared as strings: a hand-edited file may use another offset.
export const time = (iso: string | null) => (iso === null ? 0 : Date.parse(iso));
export const byCreated = (a: KeyFile, b: KeyFile) => time(a.created_at) - time(b.created_at) || a.kid.localeCompare(b.kid);
export const byActivatedDesc = (a: KeyFile, b: KeyFile) => time(b.activated_at) - time(a.activated_at) || a.kid.localeCompare(b.kid);

/** Every key as stored now. */
export async function readFiles(storage: KeyStorage): Promise<KeyFile[]> {
  return (await storage.read()).map((e) => e.file);
}

/**
 * Retires the active key(s), activates the chosen (or oldest) next key or a
 * fresh one, then adds a new next key. The caller holds the lock.
 *
 * Write order matters to instances reading mid-rotation: the new active key
 * is written first, so at every moment there is at least one active key
 * (two for an instant; readers then sign with the most recently activated).
 */
export async function rotateLocked(opts: RotationOptions): Promise<RotationResult> {
  const { storage } = opts;
  const now = opts.now();
  const at = new Date(now).toISOString();
  const files = await readFiles(storage);
  const active = files.filter((f) => f.state === 'active').sort(byActivatedDesc);
  const next = files.filter((f) => f.state === 'next').sort(byCreated);

  let promote = opts.promoteKid === undefined ? next[0] : next.find((f) => f.kid === opts.promoteKid);
  if (opts.promoteKid !== undefined && !promote) throw new Error(`key ${opts.promoteKid} is not a next key`);
  promote ??= await generateKeyFile(opts.alg, at, storage.pemPassphrase);
  await storage.write({ ...promote, state: 'active', activated_at: at, retired_at: null });

  for (const f of active) await storage.write({ ...f, state: 'retired', retired_at: at });

  // Published now, it signs only at the next rotation: by then every JWKS
  // cache has had time to learn it, so verifiers never meet an unknown kid.
  const fresh = await generateKeyFile(opts.alg, at, storage.pemPassphrase);
  await storage.write(fresh);

  if (opts.pruneRetiredAfterMs !== undefined) {
    const limit = opts.pruneRetiredAfterMs;
    for (const f of files) {
      if (f.state === 'retired' && f.retired_at !== null && time(f.retired_at) + limit < now) {
        await storage.remove(f.kid);
      }
    }
  }
  return { active: promote.kid, next: fresh.kid, retired: active[0]?.kid ?? null };
}

/** rotateLocked under the lock, then announced to the other instances. */
export async function rotate(opts: RotationOptions): Promise<RotationResult> {
  const result = await opts.storage.withLock(() => rotateLocked(opts));
  await opts.storage.announce();
  return result;
}

/**
 * Makes sure there is an active key: an empty storage gets a first active
 * key and a next key; one with only next (or retired) keys gets its oldest
 * next key promoted. Null when there already was an active key (another
 * instance starting at the same moment may have just created it).
 */
export async function ensureActiveKey(opts: RotationOptions): Promise<RotationResult | null> {
  const result = await opts.storage.withLock(async () => {
    const files = await readFiles(opts.storage);
    if (files.some((f) => f.state === 'active')) return null;
    return rotateLocked(opts);
  });
  if (result) await opts.storage.announce();
  return result;
}
