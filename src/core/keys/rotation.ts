/**
 * Key state changes on disk, always under the rotation lock and always from
 * a fresh read of the dir (another instance may have rotated since we last
 * looked). Shared by KeyManager (server) and the offline CLI so both follow
 * exactly the same rules.
 */
import { readKeyFiles, removeKeyFile, writeKeyFile } from './key-dir.js';
import type { KeyFile } from './key-file.js';
import { generateKeyFile } from './key-material.js';
import { withRotateLock } from './rotate-lock.js';
import type { RotationResult, SigningAlg } from './types.js';

export interface RotationOptions {
  dir: string;
  /** For newly generated keys. */
  alg: SigningAlg;
  passphrase: string | undefined;
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
const time = (iso: string | null) => (iso === null ? 0 : Date.parse(iso));
const byCreated = (a: KeyFile, b: KeyFile) => time(a.created_at) - time(b.created_at) || a.kid.localeCompare(b.kid);
const byActivatedDesc = (a: KeyFile, b: KeyFile) => time(b.activated_at) - time(a.activated_at) || a.kid.localeCompare(b.kid);

/**
 * Retires the active key(s), activates the chosen (or oldest) next key or a
 * fresh one, then adds a new next key. The caller holds the lock.
 *
 * Write order matters to instances polling mid-rotation: the new active key
 * is written first, so at every moment the dir has at least one active key
 * (two for an instant; readers then sign with the most recently activated).
 */
export async function rotateLocked(opts: RotationOptions): Promise<RotationResult> {
  const now = opts.now();
  const at = new Date(now).toISOString();
  const files = (await readKeyFiles(opts.dir)).map((e) => e.file);
  const active = files.filter((f) => f.state === 'active').sort(byActivatedDesc);
  const next = files.filter((f) => f.state === 'next').sort(byCreated);

  let promote = opts.promoteKid === undefined ? next[0] : next.find((f) => f.kid === opts.promoteKid);
  if (opts.promoteKid !== undefined && !promote) throw new Error(`key ${opts.promoteKid} is not a next key`);
  promote ??= await generateKeyFile(opts.alg, at, opts.passphrase);
  await writeKeyFile(opts.dir, { ...promote, state: 'active', activated_at: at, retired_at: null });

  for (const f of active) await writeKeyFile(opts.dir, { ...f, state: 'retired', retired_at: at });

  // Published now, it signs only at the next rotation: by then every JWKS
  // cache has had time to learn it, so verifiers never meet an unknown kid.
  const fresh = await generateKeyFile(opts.alg, at, opts.passphrase);
  await writeKeyFile(opts.dir, fresh);

  if (opts.pruneRetiredAfterMs !== undefined) {
    const limit = opts.pruneRetiredAfterMs;
    for (const f of files) {
      if (f.state === 'retired' && f.retired_at !== null && time(f.retired_at) + limit < now) {
        await removeKeyFile(opts.dir, f.kid);
      }
    }
  }
  return { active: promote.kid, next: fresh.kid, retired: active[0]?.kid ?? null };
}

export function rotate(opts: RotationOptions): Promise<RotationResult> {
  return withRotateLock(opts.dir, () => rotateLocked(opts));
}

/**
 * Makes sure the dir has an active key: an empty dir gets a first active key
 * and a next key; a dir with only next (or retired) keys gets its oldest
 * next key promoted. Null when there already was an active key (another
 * instance starting at the same moment may have just created it).
 */
export function ensureActiveKey(opts: RotationOptions): Promise<RotationResult | null> {
  return withRotateLock(opts.dir, async () => {
    const files = await readKeyFiles(opts.dir);
    if (files.some((e) => e.file.state === 'active')) return null;
    return rotateLocked(opts);
  });
}
