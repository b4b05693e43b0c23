/**
 * What every admin-API command shares: its I/O, the contract's exit codes,
 * the `--url`/`--json` options and the argument checks done while parsing
 * (so a typo is bad usage, exit 2, and never reaches the server).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { AdminApi, credentialsOrigin } from './admin-api.js';
import { ApiError, UsageError } from './cli-errors.js';
import { resolveConnection, type Connection } from './connection.js';
import { escapeControls, prettyJson } from './output.js';
import type { SecretInput } from './secret-input.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  setExit: (code: number) => void;
  /** Where piped secrets are read from and prompts are answered (standard input). */
  stdin: SecretInput;
  /** Where prompts are written (standard error, so that stdout stays the command's answer). */
  prompt: (text: string) => void;
}

/** Runs a command body and maps its failures to the contract's exit codes: 2 bad usage, 1 refused or unreachable. */
export async function withExitCodes(io: CliIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    io.setExit(0);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tessera: ${escapeControls(e.message)}`);
      io.setExit(2);
    } else if (e instanceof ApiError) {
      // The description is the server's words: a hostile one must not rewrite the terminal.
      io.err(`tessera: ${escapeControls(e.message)}`);
      io.setExit(1);
    } else throw e;
  }
}

export interface UrlOption {
  url?: string;
}

export interface JsonOption {
  json?: boolean;
}

/** An admin command body: resolves where to connect (exit 2 when it cannot), then talks to the server. */
export async function adminAction(io: CliIo, o: UrlOption, body: (api: AdminApi, conn: Connection) => Promise<void>): Promise<void> {
  await withExitCodes(io, async () => {
    const conn = await resolveConnection(o.url);
    await body(new AdminApi(conn, credentialsOrigin(conn)), conn);
  });
}

/** Prints the server's answer as JSON with --json, else the lines made for people. */
export function print<T>(io: CliIo, o: JsonOption, answer: T, lines: (answer: T) => string[]): void {
  for (const line of o.json ? [prettyJson(answer)] : lines(answer)) io.out(line);
}

export function withUrl(cmd: Command, what = 'Tessera server base URL (default: the one saved by tessera login)'): Command {
  return cmd.addOption(new Option('--url <url>', what).env('TESSERA_URL'));
}

export function withJson(cmd: Command, what = "print the server's JSON answer"): Command {
  return cmd.option('--json', what);
}

/** `--url` and `--json`, what most admin commands take. */
export const adminOptions = (cmd: Command): Command => withJson(withUrl(cmd));

export const CREDENTIALS_HELP =
  '\nServer and credentials: --url or TESSERA_URL, and TESSERA_CLIENT_ID / TESSERA_CLIENT_SECRET of a client\n' +
  'with scope tessera:admin; what is not given comes from the login saved by `tessera login`.';

/** A whole number from `min` to `max`, e.g. `--limit`. */
export const integer = (min: number, max: number, what: string) => (v: string): number => {
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new InvalidArgumentError(`must be a whole number of ${what}${max < 9_999_999_999 ? ` from ${min} to ${max}` : `, at least ${min}`}`);
  }
  return Number(v);
};

export const seconds = (min: number) => integer(min, 9_999_999_999, 'seconds');

export const nonEmpty = (what: string, max = 200) => (v: string): string => {
  if (v.length < 1 || v.length > max) throw new InvalidArgumentError(`must be a ${what} of 1 to ${max} characters`);
  return v;
};

/** What the server accepts as an RFC 3339 date-time (it answers 400 to anything else). */
export function rfc3339(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new InvalidArgumentError('must be an RFC 3339 date-time, e.g. 2030-01-31T00:00:00Z');
  }
  return v;
}

/** Lists may be given as `--scope a b`, repeated, or as one OAuth-style space-separated string. */
export const words = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');

/** Like words(), but undefined when the option was not given (so an update leaves the field alone). */
export const wordsIfGiven = (values: string[] | undefined): string[] | undefined => (values === undefined ? undefined : words(values));

/** An id that goes into a URL path: `.` and `..` would change the path itself, so they are refused here. */
export const pathId = (what: string) => (v: string): string => {
  if (v === '' || v === '.' || v === '..') throw new InvalidArgumentError(`is not a ${what}`);
  return v;
};
