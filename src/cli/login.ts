/**
 * `tessera login`, `logout` and `status`: saving the server URL and the
 * admin client's credentials once, so later commands need neither flags nor
 * environment variables. Login saves nothing the server does not accept.
 */
import { Command, Option } from 'commander';
import { AdminApi } from './admin-api.js';
import { UsageError } from './cli-errors.js';
import { adminAction, print, withExitCodes, withJson, withUrl, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { configFilePath, deleteSavedLogin, writeSavedLogin } from './config-file.js';
import { normalizeUrl, type Connection } from './connection.js';
import { keyValues } from './output.js';
import { obtainSecret } from './secret-input.js';

/** Proves the credentials: a token with scope tessera:admin, used on the admin API. Answers the active key id. */
async function check(api: AdminApi): Promise<string | undefined> {
  const keys = await api.call((c) => c.GET('/admin/v1/keys'));
  return keys.items.find((k) => k.state === 'active')?.kid;
}

/** Plain http is fine on this machine; anywhere else the secret would cross the network readable. */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function registerLogin(program: Command, io: CliIo): void {
  withJson(withUrl(program.command('login').description('check and save the server URL and admin client credentials for later commands'), 'the server\'s base URL'), 'print JSON')
    .addOption(new Option('--client-id <id>', 'the admin client\'s id (a client with scope tessera:admin)').env('TESSERA_CLIENT_ID'))
    .option('--client-secret-stdin', 'read the client secret from standard input (else TESSERA_CLIENT_SECRET, else a prompt)')
    .addHelpText('after', `
The credentials are checked (a token is requested and the admin API called) before anything is
saved; a refusal exits 1 and saves nothing. The file is readable by you only (mode 0600) and is
not used if others can read it. Where: $TESSERA_CLI_CONFIG, else $XDG_CONFIG_HOME/tessera/config.json,
else ~/.config/tessera/config.json (%APPDATA%\\tessera\\config.json on Windows). Now: ${configFilePath()}

Saved credentials are sent only to the saved URL: a command with another --url or TESSERA_URL needs
TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET.

Examples:
  tessera login --url https://auth.example.com --client-id tessera-admin
  printf %s "$SECRET" | tessera login --url http://localhost:8080 --client-id tessera-admin --client-secret-stdin`)
    .action(async (o: UrlOption & JsonOption & { clientId?: string; clientSecretStdin?: boolean }) => {
      await withExitCodes(io, async () => {
        if (!o.url) throw new UsageError('no server URL: give --url <url> (or set TESSERA_URL)');
        if (!o.clientId) throw new UsageError('no client id: give --client-id <id> (or set TESSERA_CLIENT_ID)');
        const url = normalizeUrl(o.url);
        const clientSecret = await obtainSecret(io.stdin, io.prompt, {
          piped: o.clientSecretStdin === true, fallback: process.env.TESSERA_CLIENT_SECRET, what: 'client secret', flag: '--client-secret-stdin',
        });
        const from = o.clientSecretStdin ? 'the secret read from standard input (--client-secret-stdin)'
          : process.env.TESSERA_CLIENT_SECRET ? 'the secret in TESSERA_CLIENT_SECRET' : 'the secret typed at the prompt';
        const active = await check(new AdminApi({ url, clientId: o.clientId, clientSecret }, { from, fix: `check the client id and secret (the secret of tessera-admin is printed once, at the server's first start)` }));
        const file = configFilePath();
        await writeSavedLogin(file, { url, client_id: o.clientId, client_secret: clientSecret });
        if (!isLoopback(url) && url.startsWith('http:')) io.err(`tessera: warning: ${url} is plain http; the client secret crosses the network unencrypted`);
        print(io, o, { url, client_id: o.clientId, config_file: file }, () => [
          `Logged in to ${url} as ${o.clientId}${active ? ` (active signing key ${active})` : ''}.`,
          `Saved to ${file} (readable by you only).`,
        ]);
      });
    });

  withJson(program.command('logout').description('delete the saved login (the client secret stays valid on the server)'), 'print JSON')
    .action(async (o: JsonOption) => {
      await withExitCodes(io, async () => {
        const file = configFilePath();
        const removed = await deleteSavedLogin(file);
        print(io, o, { config_file: file, removed }, () => [removed ? `Removed ${file}.` : `Not logged in: there is no ${file}.`]);
      });
    });

  withJson(withUrl(program.command('status').description('show which server and admin client commands use, and check that the server accepts them')), 'print JSON')
    .addHelpText('after', '\nExit code 0 when the server accepts the credentials, 1 when it refuses or cannot be reached.')
    .action(async (o: UrlOption & JsonOption) => {
      await adminAction(io, o, async (api, conn: Connection) => {
        const active = await check(api);
        const status = { url: conn.url, client_id: conn.clientId, url_from: conn.source.url, credentials_from: conn.source.credentials, active_key: active ?? null };
        print(io, o, status, (s) => keyValues([
          ['url', s.url], ['client_id', s.client_id], ['url from', s.url_from], ['credentials from', s.credentials_from],
          ['server', `accepts the credentials; active signing key ${s.active_key ?? 'none'}`],
        ]));
      });
    });
}
