/**
 * Runs `tessera` in-process as a user would (argv, environment, stdin,
 * stdout and stderr), for CLI tests. One at a time: stdout, stderr and the
 * environment are process-wide.
 */
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';

export const CLI_ENV_KEYS = ['TESSERA_URL', 'TESSERA_CLIENT_ID', 'TESSERA_CLIENT_SECRET', 'TESSERA_CLI_CONFIG'] as const;
export type CliEnv = Partial<Record<(typeof CLI_ENV_KEYS)[number], string>>;

/**
 * Where the saved login is looked for when a test does not say: a path that
 * does not exist, so a developer's own `tessera login` never leaks into a test.
 */
export const NO_CLI_CONFIG = path.join(os.tmpdir(), `tessera-no-login-${process.pid}`, 'config.json');

export interface CliRun {
  /** What it has printed so far. */
  output(): { stdout: string; stderr: string };
  /** Its exit code and output once it ends. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts the CLI with exactly these variables set (and `stdin` piped in, empty by default); everything is put back when it ends. */
export function startCli(args: string[], env: CliEnv, stdin = ''): CliRun {
  const saved = CLI_ENV_KEYS.map((k) => [k, process.env[k]] as const);
  const wanted: CliEnv = { TESSERA_CLI_CONFIG: NO_CLI_CONFIG, ...env };
  for (const k of CLI_ENV_KEYS) {
    if (wanted[k] === undefined) delete process.env[k];
    else process.env[k] = wanted[k];
  }
  let stdout = '';
  let stderr = '';
  // Swapped by hand: under ESM jest's `jest` global is not defined.
  const [writeOut, writeErr] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string | Uint8Array) => { stdout += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; }) as typeof process.stderr.write;
  const done = run(args, { stdin: Readable.from([stdin]) }).then((code) => ({ code, stdout, stderr })).finally(() => {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return { output: () => ({ stdout, stderr }), done };
}

/**
 * The CLI as the admin client of a running server: `cli` runs a command,
 * `json` runs it with --json, expects exit 0 and nothing on stderr, and
 * parses what it printed.
 */
export function adminCli(url: () => string, secret: string) {
  const cli = (args: string[], stdin = '') =>
    startCli(args, { TESSERA_URL: url(), TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: secret }, stdin).done;
  const json = async (args: string[], stdin = '') => {
    const r = await cli([...args, '--json'], stdin);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };
  return { cli, json };
}
