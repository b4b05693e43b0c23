/**
 * `tessera keys generate`: offline, works on the keys dir directly (the one
 * keys command that is not an admin API client). Exit codes per the
 * contract: 0 success, 2 bad usage (which includes an unusable keys dir or a
 * wrong passphrase).
 */
import { ConfigError } from '../core/errors.js';
import { generateKeyOffline } from '../core/keys/generate-offline.js';
import { SIGNING_ALGS, type SigningAlg } from '../core/keys/types.js';

export interface KeysGenerateOptions {
  dir: string;
  alg: SigningAlg;
  passphrase?: string;
  activate: boolean;
  json: boolean;
  out: (line: string) => void;
  /** Where errors go; `out` when absent. */
  err?: (line: string) => void;
}

export async function keysGenerateCommand(opts: KeysGenerateOptions): Promise<number> {
  const err = opts.err ?? opts.out;
  const fail = (problems: string[]): number => {
    if (opts.json) err(JSON.stringify({ error: 'config_error', error_description: problems.join('\n') }));
    else for (const p of problems) err(`error: ${p}`);
    return 2;
  };
  // Checked here too: the value may come from an environment variable the CLI framework did not validate.
  if (!(SIGNING_ALGS as readonly string[]).includes(opts.alg)) {
    return fail([`--alg must be one of ${SIGNING_ALGS.join(', ')}`]);
  }
  try {
    const info = await generateKeyOffline({
      dir: opts.dir,
      alg: opts.alg,
      passphrase: opts.passphrase,
      activate: opts.activate,
    });
    if (opts.json) opts.out(JSON.stringify(info));
    else opts.out(`${info.kid} ${info.state} (${info.alg}) in ${opts.dir}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.problems);
    throw e;
  }
}
