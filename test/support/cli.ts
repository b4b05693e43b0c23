/**
 * Runs `tessera` in-process as a user would (argv, environment, stdout and
 * stderr), for CLI tests. One at a time: stdout, stderr and the environment
 * are process-wide.
 */
import { run } from '../../src/cli/main.js';

export const CLI_ENV_KEYS = ['TESSERA_URL', 'TESSERA_CLIENT_ID', 'TESSERA_CLIENT_SECRET'] as const;
export type CliEnv = Partial<Record<(typeof CLI_ENV_KEYS)[number], string>>;

export interface CliRun {
  /** What it has printed so far. */
  output(): { stdout: string; stderr: string };
  /** Its exit code and output once it ends. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts the CLI with exactly these variables set; everything is put back when it ends. */
export function startCli(args: string[], env: CliEnv): CliRun {
  const saved = CLI_ENV_KEYS.map((k) => [k, process.env[k]] as const);
  for (const k of CLI_ENV_KEYS) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  let stdout = '';
  let stderr = '';
  // Swapped by hand: under ESM jest's `jest` global is not defined.
  const [writeOut, writeErr] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string | Uint8Array) => { stdout += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; }) as typeof process.stderr.write;
  const done = run(args).then((code) => ({ code, stdout, stderr })).finally(() => {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return { output: () => ({ stdout, stderr }), done };
}
