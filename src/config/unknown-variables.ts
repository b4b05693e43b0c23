/**
 * Contract ("Starting it"): an unknown `TESSERA_*` variable gets a warning
 * naming the closest real one. It is most likely a typo, and a typo in a
 * setting is otherwise silent: the default applies.
 */
import { CONFIG_VARIABLES } from './config.js';
import { closest } from './did-you-mean.js';

/** Read by the command line (src/cli/connection.ts, src/cli/config-file.ts), not the server: set in the same shell, they are not mistakes. */
export const CLI_VARIABLES = ['TESSERA_URL', 'TESSERA_CLIENT_ID', 'TESSERA_CLIENT_SECRET', 'TESSERA_CLI_CONFIG'];

/** One warning per `TESSERA_*` variable that neither the server nor the CLI reads. */
export function unknownVariableWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = CONFIG_VARIABLES.filter((n) => n.startsWith('TESSERA_'));
  const all = new Set([...known, ...CLI_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('TESSERA_') && !all.has(name))
    .sort()
    .map((name) => `${name} is not a Tessera variable and is ignored; did you mean ${closest(name, known)}?`);
}
