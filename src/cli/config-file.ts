/**
 * The file `tessera login` writes: the server URL and the admin client's
 * credentials. It holds a secret, so it is treated like an SSH private key:
 * created readable by its owner only (directory 0700, file 0600, written to
 * a temporary file of that mode and renamed, so no reader ever sees half a
 * file or a wider mode), and refused when group or others can read it or
 * someone else owns it, as ssh refuses such a key.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from './cli-errors.js';

type Env = Record<string, string | undefined>;

export interface SavedLogin {
  url: string;
  client_id: string;
  client_secret: string;
}

const SavedLoginSchema = z.object({
  url: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
});

/** Larger than any login file; a bigger one is not ours. */
const MAX_BYTES = 64 * 1024;

/** `$TESSERA_CLI_CONFIG`, else the platform's per-user config directory (XDG on Unix, %APPDATA% on Windows). */
export function configFilePath(env: Env = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.TESSERA_CLI_CONFIG) return path.resolve(env.TESSERA_CLI_CONFIG);
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'tessera', 'config.json');
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(xdg, 'tessera', 'config.json');
}

/** Windows has no POSIX modes; its per-user profile directory is what protects the file there. */
const checksModes = () => process.platform !== 'win32';

/** The saved login, or undefined when there is none. A file anyone else may read is refused, not used. */
export async function readSavedLogin(file: string): Promise<SavedLogin | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    // Checked on the open file, so what is checked is what is read.
    const st = await handle.stat();
    if (!st.isFile() || st.size > MAX_BYTES) throw new UsageError(`${file} is not a tessera login file; remove it and run tessera login`);
    if (checksModes()) {
      const mode = st.mode & 0o777;
      if (mode & 0o077) {
        throw new UsageError(`${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}), so it is not used: ` +
          `run chmod 600 ${file}, and replace the client secret if others may have read it`);
      }
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
        throw new UsageError(`${file} belongs to another user, so it is not used`);
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await handle.readFile('utf8'));
    } catch {
      parsed = undefined;
    }
    const login = SavedLoginSchema.safeParse(parsed);
    if (!login.success) throw new UsageError(`${file} is not a tessera login file; remove it and run tessera login`);
    return login.data;
  } finally {
    await handle.close();
  }
}

/** Writes the login atomically with mode 0600, creating its directory with mode 0700. */
export async function writeSavedLogin(file: string, login: SavedLogin): Promise<void> {
  const dir = path.dirname(file);
  try {
    // Only directories created here get 0700; an existing one (say /tmp for TESSERA_CLI_CONFIG) is left as it is.
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new UsageError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': never through a file or link someone planted under that name.
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(login, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Removes the saved login; answers whether there was one. */
export async function deleteSavedLogin(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UsageError(`cannot remove ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
