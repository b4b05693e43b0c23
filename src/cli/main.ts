/**
 * `npx tessera <command>`. Exit codes (contract): 0 success, 1 the server
 * refused, 2 bad usage. Offline commands: `keys generate`, `config check`,
 * `scan`; `api-tokens` and `audit` are clients of the admin API.
 */
import { Command, CommanderError, Option } from 'commander';
import { SIGNING_ALGS, type SigningAlg } from '../core/keys/types.js';
import { keysGenerateCommand } from './keys-generate.js';
import { configCheckCommand } from './config-check.js';
import { scanCommand } from './scan.js';
import { registerApiTokens } from './api-tokens.js';
import { registerAudit } from './audit.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('tessera')
    .description('Tessera token server command line')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const keys = program.command('keys').description('signing keys').exitOverride();
  keys
    .command('generate')
    .description('add a signing key to the keys dir, offline (published as "next"; --activate makes it sign)')
    .exitOverride()
    .addOption(new Option('--dir <dir>', 'keys directory').env('TESSERA_KEYS_DIR').default('./keys'))
    .addOption(new Option('--alg <alg>', 'algorithm of the new key').choices(SIGNING_ALGS).env('TESSERA_SIGNING_ALG').default('EdDSA'))
    .option('--activate', 'rotate now: the new key signs, the active one retires', false)
    .option('--json', 'print JSON', false)
    .action(async (o: { dir: string; alg: SigningAlg; activate: boolean; json: boolean }) => {
      setExit(await keysGenerateCommand({ ...o, passphrase: process.env.TESSERA_KEYS_PASSPHRASE || undefined, out, err }));
    });

  const config = program.command('config').description('configuration files').exitOverride();
  config
    .command('check')
    .description('validate a bootstrap file (TESSERA_CONFIG format), offline')
    .argument('<file>', 'path of the JSON file')
    .option('--json', 'print JSON', false)
    .exitOverride()
    .action(async (file: string, o: { json: boolean }) => {
      setExit(await configCheckCommand(file, { json: o.json, out, err }));
    });
  program
    .command('scan')
    .description('find Tessera tokens (tsp_, tsr_ with a valid checksum) in files, offline; exit 1 when any are found')
    .argument('<path>', 'file or directory to scan (node_modules and .git are skipped)')
    .option('--json', 'print JSON', false)
    .exitOverride()
    .action(async (target: string, o: { json: boolean }) => {
      setExit(await scanCommand(target, { json: o.json, out, err }));
    });
  registerApiTokens(program, { out, err, setExit });
  registerAudit(program, { out, err, setExit });
  return program;
}

export async function run(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is bad usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    err(`tessera: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
