/**
 * File-system side of the keys dir: creating it private, listing and reading
 * key files, the cheap change signature that hot reload polls, and atomic
 * writes. No cryptography here.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { isKeyFileName, keyFileName, parseKeyFile, serializeKeyFile, type KeyFile } from './key-file.js';

export interface KeyFileEntry {
  path: string;
  file: KeyFile;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Creates the dir (mode 0700: private keys live there) when missing; checks it can be read. */
export async function ensureKeysDir(dir: string): Promise<void> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ConfigError([`TESSERA_KEYS_DIR: ${dir} is not a directory`]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (errCode(err) !== 'ENOENT') throw new ConfigError([`TESSERA_KEYS_DIR: cannot use ${dir} (${errCode(err) ?? String(err)})`]);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (mkErr) {
      throw new ConfigError([`TESSERA_KEYS_DIR: cannot create ${dir} (${errCode(mkErr) ?? String(mkErr)})`]);
    }
  }
  // Write access is checked only when a write is needed: a read-only mount
  // whose keys are managed offline (`tessera keys generate`) is legitimate.
  try {
    await access(dir, constants.R_OK | constants.X_OK);
  } catch {
    throw new ConfigError([`TESSERA_KEYS_DIR: ${dir} is not readable by this process`]);
  }
}

async function keyFileNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isKeyFileName).sort();
  } catch (err) {
    throw new ConfigError([`TESSERA_KEYS_DIR: cannot list ${dir} (${errCode(err) ?? String(err)})`]);
  }
}

/** Reads and validates every key file; all bad files are reported at once. */
export async function readKeyFiles(dir: string): Promise<KeyFileEntry[]> {
  const entries: KeyFileEntry[] = [];
  const problems: string[] = [];
  for (const name of await keyFileNames(dir)) {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Pruned by another instance between readdir and read: simply gone.
      if (errCode(err) === 'ENOENT') continue;
      problems.push(`key file ${path} cannot be read (${errCode(err) ?? String(err)})`);
      continue;
    }
    const parsed = parseKeyFile(text, path);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else entries.push({ path, file: parsed.file });
  }
  if (problems.length) throw new ConfigError(problems);
  return entries;
}

/**
 * What polling compares: names, inode, mtime and size of the key files.
 * Every write is a rename of a new file, so the inode changes even when an
 * edit keeps size and (coarse) mtime.
 */
export async function dirSignature(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of await keyFileNames(dir)) {
    try {
      const st = await stat(join(dir, name));
      parts.push(`${name}:${st.ino}:${st.mtimeMs}:${st.size}`);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  }
  return parts.join('|');
}

/** Best effort: makes a rename durable across a crash on file systems that support it. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not all platforms can fsync a directory; the rename is still atomic.
  }
}

/**
 * Writes via a temp file in the same dir and a rename, so a reader (another
 * instance polling) sees the old file or the new one, never half of one.
 * The temp file is created 0600 so the key is never readable by others.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ConfigError([`TESSERA_KEYS_DIR: cannot write ${path} (${errCode(err) ?? String(err)})`]);
  }
  await syncDir(dirname(path));
}

export async function writeKeyFile(dir: string, file: KeyFile): Promise<void> {
  await writeFileAtomic(join(dir, keyFileName(file.kid)), serializeKeyFile(file));
}

export async function removeKeyFile(dir: string, kid: string): Promise<void> {
  await rm(join(dir, keyFileName(kid)), { force: true });
}
