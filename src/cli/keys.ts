/**
 * `tessera keys list|rotate` (clients of /admin/v1/keys through the generated
 * client) and `tessera keys generate`, which works offline on the keys dir.
 */
import { Command, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import { SIGNING_ALGS, type SigningAlg } from '../core/keys/types.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, print, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { keysGenerateCommand } from './keys-generate.js';
import { keysImportCommand } from './keys-import.js';
import { describe, table } from './output.js';

type Common = UrlOption & JsonOption;
type KeyInfo = components['schemas']['KeyInfo'];
type RotationResult = components['schemas']['RotationResult'];

const keyTable = (items: KeyInfo[]): string[] =>
  table(['KID', 'ALG', 'STATE', 'PUBLISHED', 'CREATED', 'ACTIVATED', 'RETIRED', 'NEXT STEP'],
    items.map((k) => [k.kid, k.alg, k.state, k.published ? 'yes' : 'no', k.created_at, k.activated_at, k.retired_at, nextStep(k)]));

/** Under a rotation schedule: what the key does next, and when. */
function nextStep(k: KeyInfo): string | null {
  if (k.activates_at) return `activates ${k.activates_at}`;
  if (k.retires_at) return `retires ${k.retires_at}`;
  if (k.removed_at) return `removed ${k.removed_at}`;
  return null;
}

const rotationLines = (r: RotationResult): string[] =>
  describe(r, [['active', (x) => x.active], ['next', (x) => x.next], ['retired', (x) => x.retired ?? 'none']]);

export function registerKeys(program: Command, io: CliIo): void {
  const group = program
    .command('keys')
    .description('signing keys: list and rotate through the admin API; generate offline')
    .addHelpText('after', CREDENTIALS_HELP);

  adminOptions(group.command('list').description('list the signing keys, newest first, with their state (never key material)'))
    .action(async (o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/keys')), (r) => keyTable(r.items));
      });
    });

  adminOptions(group.command('rotate').description('rotate now: the next key signs, the active one retires, a new next key is published'))
    .addHelpText('after', '\nRetired keys stay in the JWKS until every token they signed has expired.')
    .action(async (o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/keys/rotate')), rotationLines);
      });
    });

  group
    .command('generate')
    .description('add a signing key to the keys dir, offline (published as "next"; --activate makes it sign)')
    .addOption(new Option('--dir <dir>', 'keys directory').env('TESSERA_KEYS_DIR').default('./keys'))
    .addOption(new Option('--alg <alg>', 'algorithm of the new key').choices(SIGNING_ALGS).env('TESSERA_SIGNING_ALG').default('EdDSA'))
    .option('--activate', 'rotate now: the new key signs, the active one retires', false)
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nNeeds no server; a running server picks the key up from the directory.\n' +
      'TESSERA_KEYS_PASSPHRASE, when set, encrypts the new private key.')
    .action(async (o: { dir: string; alg: SigningAlg; activate: boolean; json: boolean }) => {
      io.setExit(await keysGenerateCommand({ ...o, passphrase: process.env.TESSERA_KEYS_PASSPHRASE || undefined, out: io.out, err: io.err }));
    });

  group
    .command('import')
    .description('copy the keys of a keys dir into the store (TESSERA_KEYS_STORAGE=store), sealed with TESSERA_KEYS_PASSPHRASE')
    .addOption(new Option('--dir <dir>', 'keys directory').env('TESSERA_KEYS_DIR').default('./keys'))
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nUses the server\'s variables: REDIS_URL (or TESSERA_REDIS_CLUSTER_NODES / TESSERA_REDIS_SENTINELS),\n' +
      'TESSERA_REDIS_PREFIX and TESSERA_KEYS_PASSPHRASE (16+ characters; it also opens encrypted key files).\n' +
      'Only into a store that holds no keys yet; then start the servers with TESSERA_KEYS_STORAGE=store.')
    .action(async (o: { dir: string; json: boolean }) => {
      io.setExit(await keysImportCommand({ ...o, env: process.env, out: io.out, err: io.err }));
    });
}
