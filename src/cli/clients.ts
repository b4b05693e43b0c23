/**
 * `tessera clients list|get|create|update|delete|narrow|rotate-secret`: clients of
 * /admin/v1/clients through the generated client.
 */
import { Command, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import { UsageError } from './cli-errors.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, pathId, print, wordsIfGiven, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { clientLines, clientTable, clientWithSecretLines, GRANT_TYPES, type GrantType } from './client-format.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';
import { obtainSecret } from './secret-input.js';
import { narrowedLines } from './report-format.js';
import { windowOption } from './reports.js';
import { readJwksFile } from './jwks-file.js';

type Common = UrlOption & JsonOption;

interface FieldOptions {
  name?: string;
  grantType?: GrantType[];
  scope?: string[];
  defaultScope?: string[];
  allScopesDefault?: boolean;
  audience?: string[];
  redirectUri?: string[];
  thirdParty?: boolean;
  alwaysIssueRefreshToken?: boolean;
  authMethod?: AuthMethod;
  jwksFile?: string;
  jwksUri?: string;
  clearKeys?: boolean;
  dpopBoundAccessTokens?: boolean;
}

type AuthMethod = components['schemas']['TokenEndpointAuthMethod'];
const AUTH_METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

const CLEAR = ' (replaces the list; "" clears it)';

/** The fields create and update share; on update each replaces the stored one, and what is not given is left alone. */
function withFields(cmd: Command, update: boolean): Command {
  const replaces = update ? CLEAR : '';
  cmd
    .option('--name <name>', 'display name, shown on the consent page')
    .addOption(new Option('--grant-type <type...>', `grant types it may use${update ? ' (replaces the list)' : ''}`).choices(GRANT_TYPES))
    .option('--scope <scope...>', `scopes it may ask for${replaces}`)
    .addOption(new Option('--default-scope <scope...>', `scopes granted when a request names none (default: all of --scope)${replaces}`).conflicts('allScopesDefault'))
    .option('--audience <uri...>', `allowed audiences (RFC 8707 resources; none: the issuer itself)${replaces}`)
    .option('--redirect-uri <uri...>', `redirect URIs for the authorization code grant${replaces}`)
    .option('--third-party', 'a third-party client: users are asked to consent')
    .option('--always-issue-refresh-token', 'issue a refresh token even without offline_access (needs the refresh_token grant)')
    .addOption(new Option('--auth-method <method>', 'how it authenticates (private_key_jwt: with --jwks-file or --jwks-uri, and no secret)').choices(AUTH_METHODS))
    .option('--jwks-file <path>', 'private_key_jwt: its public keys, a JWK Set file')
    .addOption(new Option('--jwks-uri <url>', 'private_key_jwt: where its public keys are (https)').conflicts('jwksFile'))
    .option('--dpop-bound-access-tokens', 'every token request must carry a DPoP proof (RFC 9449)');
  if (update) {
    cmd
      .option('--all-scopes-default', 'grant all of its scopes when a request names none')
      .option('--no-third-party', 'a first-party client: no consent page')
      .option('--no-always-issue-refresh-token', 'issue refresh tokens only with offline_access')
      .option('--no-dpop-bound-access-tokens', 'DPoP proofs are optional')
      .addOption(new Option('--clear-keys', 'remove jwks and jwks_uri (to move back to a secret: then rotate-secret)').conflicts(['jwksFile', 'jwksUri']));
  }
  return cmd;
}

async function fields(o: FieldOptions): Promise<components['schemas']['ClientUpdateRequest']> {
  const jwks = o.jwksFile ? await readJwksFile(o.jwksFile) : undefined;
  return {
    token_endpoint_auth_method: o.authMethod,
    jwks: o.clearKeys ? null : jwks,
    jwks_uri: o.clearKeys ? null : o.jwksUri,
    dpop_bound_access_tokens: o.dpopBoundAccessTokens,
    name: o.name,
    grant_types: o.grantType,
    scopes: wordsIfGiven(o.scope),
    default_scopes: o.allScopesDefault ? null : wordsIfGiven(o.defaultScope),
    audiences: wordsIfGiven(o.audience),
    redirect_uris: wordsIfGiven(o.redirectUri),
    third_party: o.thirdParty,
    always_issue_refresh_token: o.alwaysIssueRefreshToken,
  };
}

const clientPath = (id: string) => ({ params: { path: { client_id: id } } });
const CLIENT_ID = ['<client_id>', 'the client id', pathId('client id')] as const;

export function registerClients(program: Command, io: CliIo): void {
  const group = program
    .command('clients')
    .description('manage OAuth clients through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  withPaging(adminOptions(group.command('list').description('list clients, by client id')), 'clients')
    .action(async (o: Common & PagingOptions) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/clients', { params: { query: q } })));
        print(io, o, page, (p) => pageLines(p, clientTable, 'No clients.'));
      });
    });

  adminOptions(group.command('get').description('show one client (never its secret)').argument(...CLIENT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/clients/{client_id}', clientPath(id))), clientLines);
      });
    });

  withFields(adminOptions(group.command('create')
    .description('create a client; a confidential one gets a secret, printed once')
    .argument('[client_id]', 'its id (default: generated, client_...)', pathId('client id'))), false)
    .option('--public', 'a public client (a browser or mobile app): no secret, PKCE required')
    .addOption(new Option('--client-secret-stdin', 'set this secret (read from standard input) instead of a generated one').conflicts('public'))
    .addHelpText('after', '\nDefaults: grant client_credentials (confidential) or authorization_code and refresh_token (public).\n' +
      'Examples:\n  tessera clients create billing-service --scope orders:read --audience https://api.example.com\n' +
      '  tessera clients create web-app --public --redirect-uri http://localhost:5173/cb --scope orders:read offline_access\n' +
      '  tessera clients create batch-job --auth-method private_key_jwt --jwks-file batch-job.jwks.json --scope orders:read')
    .action(async (id: string | undefined, o: Common & FieldOptions & { public?: boolean; clientSecretStdin?: boolean }) => {
      await adminAction(io, o, async (api) => {
        const secret = o.clientSecretStdin
          ? await obtainSecret(io.stdin, io.prompt, { piped: true, what: 'client secret', flag: '--client-secret-stdin' })
          : undefined;
        const body: components['schemas']['ClientCreateRequest'] = {
          ...(await fields(o)), client_id: id, public: o.public ?? o.authMethod === 'none', client_secret: secret,
          third_party: o.thirdParty ?? false, always_issue_refresh_token: o.alwaysIssueRefreshToken ?? false,
        };
        print(io, o, await api.call((c) => c.POST('/admin/v1/clients', { body })), clientWithSecretLines);
      });
    });

  withFields(adminOptions(group.command('update').description('change a client: each option given replaces that field').argument(...CLIENT_ID)), true)
    .addHelpText('after', '\nThe client id, public/confidential and the secret cannot change here (see rotate-secret).\n' +
      'Example:\n  tessera clients update billing-service --scope orders:read orders:write')
    .action(async (id: string, o: Common & FieldOptions) => {
      await adminAction(io, o, async (api) => {
        const body = await fields(o);
        if (Object.values(body).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one option (see --help)');
        print(io, o, await api.call((c) => c.PATCH('/admin/v1/clients/{client_id}', { ...clientPath(id), body })), clientLines);
      });
    });

  adminOptions(group.command('delete').description('delete a client; its access tokens stop being accepted').argument(...CLIENT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        await api.callNoContent((c) => c.DELETE('/admin/v1/clients/{client_id}', clientPath(id)));
        print(io, o, { client_id: id, deleted: true }, () => [`Deleted client ${id}.`]);
      });
    });

  adminOptions(group.command('narrow').description('keep only the scopes the client\'s tokens exercised recently (see tessera reports least-privilege --kind client)').argument(...CLIENT_ID))
    .addOption(windowOption())
    .action(async (id: string, o: Common & { window?: number }) => {
      const body = o.window === undefined ? undefined : { window: o.window };
      await adminAction(io, o, async (api) => {
        const r = await api.call((c) => c.POST('/admin/v1/clients/{client_id}/narrow', { ...clientPath(id), body }));
        print(io, o, r, (x) => narrowedLines(x.client.scopes, x.removed, x.window));
      });
    });

  adminOptions(group.command('rotate-secret').description('give a confidential client a new secret, printed once; the old one stops working now').argument(...CLIENT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/clients/{client_id}/secret', clientPath(id))), clientWithSecretLines);
      });
    });
}
