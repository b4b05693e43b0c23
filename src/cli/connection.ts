/**
 * Where an admin command connects and as whom, resolved in one place:
 * `--url` over `TESSERA_URL` over the saved login; credentials from
 * `TESSERA_CLIENT_ID` / `TESSERA_CLIENT_SECRET` over the saved login.
 *
 * Saved credentials go only to the server they were saved for: with `--url`
 * or `TESSERA_URL` naming another server they are not used (sending them
 * there would hand the admin secret to whoever runs it).
 */
import { UsageError } from './cli-errors.js';
import { configFilePath, readSavedLogin } from './config-file.js';

type Env = Record<string, string | undefined>;

export interface Connection {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Where the URL and credentials came from, for `tessera status`. */
  source: { url: string; credentials: string };
}

/** A server base URL: http(s), no credentials, no query; a path prefix is kept, trailing slashes are not. */
export function normalizeUrl(raw: string, what = '--url / TESSERA_URL'): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`${what} is not a URL: ${raw}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${what} must be http(s): ${raw}`);
  if (parsed.username || parsed.password) throw new UsageError(`${what} must not carry credentials; use TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET`);
  if (parsed.search || parsed.hash) throw new UsageError(`${what} must be a base URL, without ? or #: ${raw}`);
  return parsed.href.replace(/\/+$/, '');
}

const NO_CREDENTIALS = 'set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET (a client with scope tessera:admin), or run tessera login';

/** The connection for an admin command; bad usage (exit 2) when something is missing, saying what to set. */
export async function resolveConnection(urlOption: string | undefined, env: Env = process.env): Promise<Connection> {
  const explicitUrl = urlOption || env.TESSERA_URL || undefined;
  // Commander fills the option from TESSERA_URL too, so the two cannot be told apart here.
  const urlSource = '--url / TESSERA_URL';
  const id = env.TESSERA_CLIENT_ID || undefined;
  const secret = env.TESSERA_CLIENT_SECRET || undefined;
  if ((id === undefined) !== (secret === undefined)) {
    throw new UsageError(`${id ? 'TESSERA_CLIENT_ID is set but TESSERA_CLIENT_SECRET is not' : 'TESSERA_CLIENT_SECRET is set but TESSERA_CLIENT_ID is not'}: set both`);
  }
  const envCredentials = id !== undefined && secret !== undefined ? { clientId: id, clientSecret: secret } : undefined;
  if (explicitUrl !== undefined && envCredentials) {
    // Everything is given: the saved login is not even read (a broken one must not get in the way).
    return { url: normalizeUrl(explicitUrl), ...envCredentials, source: { url: urlSource, credentials: 'environment' } };
  }

  const file = configFilePath(env);
  const saved = await readSavedLogin(file);
  if (explicitUrl === undefined && saved === undefined) {
    throw new UsageError(`no server URL: give --url <url> or set TESSERA_URL${envCredentials ? '' : `, and ${NO_CREDENTIALS}`}`);
  }
  const url = explicitUrl !== undefined ? normalizeUrl(explicitUrl) : normalizeUrl(saved!.url, file);
  if (envCredentials) return { url, ...envCredentials, source: { url: explicitUrl !== undefined ? urlSource : file, credentials: 'environment' } };
  if (saved === undefined) throw new UsageError(`no admin credentials: ${NO_CREDENTIALS}`);
  if (normalizeUrl(saved.url, file) !== url) {
    throw new UsageError(`no admin credentials for ${url}: the saved login (${file}) is for ${saved.url}; ` +
      `set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET, or run tessera login --url ${url}`);
  }
  return {
    url, clientId: saved.client_id, clientSecret: saved.client_secret,
    source: { url: explicitUrl !== undefined ? urlSource : file, credentials: file },
  };
}
