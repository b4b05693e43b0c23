/**
 * `tessera api-tokens create|list|get|rotate|revoke|narrow|resume|usage`: clients of
 * /admin/v1/api-tokens through the generated client.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, print, rfc3339, seconds, words, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { createdTokenLines, tokenLines, tokenTable, usageLines } from './api-token-format.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';
import { narrowedLines } from './report-format.js';
import { windowOption } from './reports.js';

type Common = UrlOption & JsonOption;
type RateLimit = components['schemas']['ApiTokenRateLimit'];

/** `100/60` is 100 requests per 60 seconds. */
export function parseRateLimit(v: string): RateLimit {
  const m = /^(\d{1,7})\/(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('must be REQUESTS/SECONDS, e.g. 100/60');
  return { requests: Number(m[1]), per_seconds: Number(m[2]) };
}

const tokenPath = (id: string) => ({ params: { path: { token_id: id } } });

export function registerApiTokens(program: Command, io: CliIo): void {
  const group = program
    .command('api-tokens')
    .description('manage API tokens (personal access tokens) through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  adminOptions(group.command('create').description('create an API token for a user; prints its secret once'))
    .requiredOption('--user <user>', 'owner: user id (usr_...) or username')
    .requiredOption('--name <name>', 'a name to recognise it by (1..100 characters)')
    .requiredOption('--scope <scope...>', 'scopes it may give (within the owner\'s roles)')
    .option('--description <text>', 'what it is for')
    .addOption(new Option('--expires-in <seconds>', 'lifetime in seconds (at least 60)').argParser(seconds(60)).conflicts('expiresAt'))
    .addOption(new Option('--expires-at <time>', 'expiry as an RFC 3339 date-time').argParser(rfc3339))
    .option('--allow-ip <cidr...>', 'only usable from these addresses or CIDRs (IPv4 or IPv6)')
    .option('--rate-limit <N/S>', 'at most N uses per S seconds, e.g. 100/60', parseRateLimit)
    .addHelpText('after', '\nWithout --expires-in or --expires-at the server default applies (30 days unless configured).\n' +
      'Example:\n  tessera api-tokens create --user alice --name "deploy bot" --scope orders:read --expires-in 86400')
    .action(async (o: Common & {
      user: string; name: string; scope: string[]; description?: string; expiresIn?: number; expiresAt?: string;
      allowIp?: string[]; rateLimit?: RateLimit;
    }) => {
      const body: components['schemas']['ApiTokenCreateRequest'] = {
        user: o.user, name: o.name, scopes: words(o.scope), description: o.description,
        expires_in: o.expiresIn, expires_at: o.expiresAt,
        allowed_ips: o.allowIp ? words(o.allowIp) : undefined, rate_limit: o.rateLimit,
      };
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/api-tokens', { body })), createdTokenLines);
      });
    });

  withPaging(adminOptions(group.command('list').description('list API tokens (all users unless --user), ordered by id')), 'tokens')
    .option('--user <user>', 'only this user\'s tokens: user id or username')
    .addOption(new Option('--active', 'only active tokens').conflicts('inactive'))
    .addOption(new Option('--inactive', 'only revoked or expired tokens'))
    .option('--expiring-within <seconds>', 'only active tokens expiring within this many seconds', seconds(0))
    .option('--unused-for <seconds>', 'only tokens not used for this long (never used: since creation)', seconds(0))
    .addHelpText('after', '\nExamples:\n  tessera api-tokens list --user alice --active\n  tessera api-tokens list --expiring-within 604800 --all --json')
    .action(async (o: Common & PagingOptions & { user?: string; active?: boolean; inactive?: boolean; expiringWithin?: number; unusedFor?: number }) => {
      const filters = {
        user: o.user, active: o.active ? ('true' as const) : o.inactive ? ('false' as const) : undefined,
        expiring_within: o.expiringWithin, unused_for: o.unusedFor,
      };
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/api-tokens', { params: { query: { ...filters, ...q } } })));
        print(io, o, page, (p) => pageLines(p, tokenTable, 'No API tokens.', 'No matching API tokens in this page.'));
      });
    });

  adminOptions(group.command('get').description('show one API token (never its secret)').argument('<id>', 'token id (tok_...)'))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/api-tokens/{token_id}', tokenPath(id))), tokenLines);
      });
    });

  adminOptions(group.command('rotate').description('give an API token a new secret; prints it once').argument('<id>', 'token id (tok_...)'))
    .option('--grace <seconds>', 'how long the old secret keeps working (default 0: it stops now)', seconds(0))
    .addHelpText('after', '\nExample:\n  tessera api-tokens rotate tok_q3ZK5nVJm0a7Rz1c --grace 3600')
    .action(async (id: string, o: Common & { grace?: number }) => {
      const body = o.grace === undefined ? undefined : { grace_period: o.grace };
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/api-tokens/{token_id}/rotate', { ...tokenPath(id), body })), createdTokenLines);
      });
    });

  adminOptions(group.command('revoke').description('revoke an API token (it stays listed as revoked)').argument('<id>', 'token id (tok_...)'))
    .option('--reason <text>', 'why, kept with the token and in the audit log')
    .action(async (id: string, o: Common & { reason?: string }) => {
      const body = o.reason === undefined ? undefined : { reason: o.reason };
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.DELETE('/admin/v1/api-tokens/{token_id}', { ...tokenPath(id), body })), tokenLines);
      });
    });

  adminOptions(group.command('narrow').description('keep only the scopes the token exercised recently (see tessera reports least-privilege)').argument('<id>', 'token id (tok_...)'))
    .addOption(windowOption())
    .action(async (id: string, o: Common & { window?: number }) => {
      const body = o.window === undefined ? undefined : { window: o.window };
      await adminAction(io, o, async (api) => {
        const r = await api.call((c) => c.POST('/admin/v1/api-tokens/{token_id}/narrow', { ...tokenPath(id), body }));
        print(io, o, r, (x) => narrowedLines(x.token.scopes, x.removed, x.window));
      });
    });

  adminOptions(group.command('resume').description('lift a pause put by the suspicious-use policy (the use was legitimate)').argument('<id>', 'token id (tok_...)'))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/api-tokens/{token_id}/resume', tokenPath(id))), tokenLines);
      });
    });

  adminOptions(group.command('usage').description('where and how often an API token was used: its last use and uses per route').argument('<id>', 'token id (tok_...)'))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/api-tokens/{token_id}/usage', tokenPath(id))), usageLines);
      });
    });
}
