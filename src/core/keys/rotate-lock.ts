/**
 * A lock file in the keys dir so that only one process at a time changes key
 * states: two instances rotating at once must not both activate a key. It
 * works across processes and hosts sharing the dir, which an in-memory mutex
 * cannot. A holder that crashed leaves the file behind, so a lock older than
 * 30 s (far longer than a rotation takes) is taken to be stale and broken.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BusyError, ConfigError } from '../errors.js';

export const LOCK_FILE = '.rotate.lock';
export const LOCK_STALE_AFTER_MS = 30_000;
/** Past the stale limit, so a crashed holder never makes us give up. */
const GIVE_UP_AFTER_MS = 2 * LOCK_STALE_AFTER_MS;

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Breaks the lock when stale; true when the caller should try again at once.
 * The lock is renamed aside before deletion and its inode compared, so that
 * a fresh lock taken by someone else in the meantime is put back, not lost.
 * Staleness uses the real clock: it is compared with a file mtime.
 */
async function breakIfStale(path: string): Promise<boolean> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return true;
    throw err;
  }
  if (Date.now() - st.mtimeMs < LOCK_STALE_AFTER_MS) return false;
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return true;
    throw err;
  }
  const moved = await stat(aside);
  if (moved.ino !== st.ino) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
  return true;
}

async function acquire(dir: string, giveUpAfterMs: number): Promise<string> {
  const path = join(dir, LOCK_FILE);
  const token = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${token}\n`, 'utf8');
      } finally {
        await fh.close();
      }
      return token;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') {
        throw new ConfigError([`TESSERA_KEYS_DIR: cannot create the rotation lock in ${dir} (${errCode(err) ?? String(err)})`]);
      }
    }
    if (await breakIfStale(path)) continue;
    if (Date.now() - started > giveUpAfterMs) {
      // Another rotation holds the dir (rotations queued behind one another, or a slow disk): a 503 to retry, not a 500.
      throw new BusyError('another key rotation is in progress; retry shortly');
    }
    // Jitter keeps contending instances from retrying in lock-step.
    await sleep(20 + Math.floor(Math.random() * 30));
  }
}

/** Removes the lock only if it is still ours (it may have been broken as stale and retaken). */
async function release(dir: string, token: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  try {
    if ((await readFile(path, 'utf8')).trim() === token) await rm(path, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}

/**
 * Runs `fn` while holding the keys dir's rotation lock. Waiting for it longer
 * than `giveUpAfterMs` (default 60 s) is a BusyError: 503 with Retry-After.
 */
export async function withRotateLock<T>(dir: string, fn: () => Promise<T>, giveUpAfterMs = GIVE_UP_AFTER_MS): Promise<T> {
  // Callers of this process queue in order first, so that they do not poll the file against one another
  // (polling is unfair: under load one caller could lose to the others for the whole limit).
  const previous = queued.get(dir) ?? Promise.resolve();
  let done!: () => void;
  const tail = previous.then(() => new Promise<void>((resolve) => { done = resolve; }));
  queued.set(dir, tail);
  await previous;
  try {
    const token = await acquire(dir, giveUpAfterMs);
    try {
      return await fn();
    } finally {
      await release(dir, token);
    }
  } finally {
    done();
    if (queued.get(dir) === tail) queued.delete(dir);
  }
}

/** The last caller of this process waiting for (or holding) each dir's lock. */
const queued = new Map<string, Promise<void>>();
