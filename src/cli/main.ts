/**
 * `npx -p @tessera-auth/server tessera <command>`. Exit codes (contract): 0
 * success, 1 the server refused or could not be reached, 2 bad usage. Offline commands: `keys
 * generate`, `config check`, `scan`; the rest are clients of the admin API
 * through the generated client (src/client/tessera-client.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { configCheckCommand } from './config-check.js';
import { scanCommand } from './scan.js';
import { registerApiTokens } from './api-tokens.js';
import { registerAudit } from './audit.js';
import { registerClients } from './clients.js';
import { registerKeys } from './keys.js';
import { registerLogin } from './login.js';
import { registerRoles } from './roles.js';
import { registerUsers } from './users.js';
import { registerWebhooks } from './webhooks.js';
import { registerReports } from './reports.js';
import { registerTrustPolicies } from './trust-policies.js';
import type { CliIo } from './cli-support.js';
import type { SecretInput } from './secret-input.js';

const PROGRAM_HELP = `
Admin commands (clients, users, roles, api-tokens, keys list|rotate, audit, webhooks, reports) talk to a Tessera server:
  --url or TESSERA_URL                         the server's base URL
  TESSERA_CLIENT_ID, TESSERA_CLIENT_SECRET     a client with scope tessera:admin
or, for whatever is not given, the login saved by \`tessera login\` ($TESSERA_CLI_CONFIG, else
$XDG_CONFIG_HOME/tessera/config.json or ~/.config/tessera/config.json).
--json prints the server's answer for scripts; without it, tables and key: value lines for people.

Exit codes: 0 success, 1 the server refused (its error is printed) or could not be reached, 2 bad usage.

Example session:
  tessera login --url http://localhost:8080 --client-id tessera-admin
  tessera roles set reader --scope orders:read
  tessera users create alice --role reader
  tessera api-tokens create --user alice --name laptop --scope orders:read
  tessera audit list --limit 5`;

/** This package's version, from its package.json (two levels up from dist/cli/ and from src/cli/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunOptions {
  /** Standard input, for secrets and prompts (default: process.stdin). */
  stdin?: SecretInput;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('tessera')
    .description('Tessera token server command line')
    .usage('<command> [options]')
    // Set before the commands are added: subcommands inherit both.
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .version(VERSION, '-V, --version', 'print the version of Tessera')
    .addHelpText('after', PROGRAM_HELP);

  program
    .command('serve')
    .description('start the server (what npm start runs in a checkout), configured by the same environment variables')
    .addHelpText('after', '\nEnvironment: PORT, HOST, REDIS_URL and the TESSERA_* variables of the README\'s configuration table.\n' +
      'Stops on SIGTERM or Ctrl-C after the requests in flight.')
    .action(async () => {
      // The server's entry point starts listening when loaded, and keeps the process alive.
      await import('../main.js');
    });

  registerLogin(program, io);
  registerClients(program, io);
  registerUsers(program, io);
  registerRoles(program, io);
  registerApiTokens(program, io);
  registerKeys(program, io);
  registerAudit(program, io);
  registerWebhooks(program, io);
  registerReports(program, io);
  registerTrustPolicies(program, io);

  const config = program.command('config').description('configuration');
  config
    .command('check')
    .description('check the environment as the server would (and say which store it would use), and a bootstrap file, offline')
    .argument('[file]', 'a bootstrap file (TESSERA_CONFIG format); default: the one TESSERA_CONFIG names, if any')
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nPrints the store (in memory, Redis, Redis Sentinel or Redis Cluster) and where signing keys are kept.\n' +
      'Exit code 0 when everything is valid, 2 with one line per problem when it is not.')
    .action(async (file: string | undefined, o: { json: boolean }) => {
      io.setExit(await configCheckCommand(file, { json: o.json, out: io.out, err: io.err }));
    });
  program
    .command('scan')
    .description('find Tessera tokens (tsp_, tsr_ with a valid checksum) in files, offline; exit 1 when any are found')
    .argument('<path>', 'file or directory to scan (node_modules and .git are skipped)')
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nExample (in CI):\n  npx -p @tessera-auth/server tessera scan .')
    .action(async (target: string, o: { json: boolean }) => {
      io.setExit(await scanCommand(target, { json: o.json, out: io.out, err: io.err }));
    });
  return program;
}

export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  let code = 0;
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    setExit: (c) => { code = c; },
    stdin: options.stdin ?? process.stdin,
    prompt: (text) => process.stderr.write(text),
  };
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help exits 0; every other parse problem (and a group named without a command) is bad usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    io.err(`tessera: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
