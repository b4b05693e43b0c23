/**
 * `tessera api-tokens create|list|get|rotate|revoke`: clients of
 * /admin/v1/api-tokens. Exit codes (contract): 0 success, 1 the server
 * refused or could not be reached, 2 bad usage. Values the CLI can check
 * itself are checked while parsing, so a typo never reaches the server.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { AdminClient, resolveConnection } from './admin-client.js';
import { rfc3339, withExitCodes, type CliIo } from './cli-support.js';
import { secretLines, tokenLines, tokenTable, type ApiTokenPage, type ApiTokenView } from './api-token-format.js';
import { prettyJson } from './output.js';

export type { CliIo } from './cli-support.js';

interface Common {
  url?: string;
  json: boolean;
}

const BASE = '/admin/v1/api-tokens';

const integer = (min: number, what: string) => (v: string) => {
  if (!/^\d{1,10}$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`must be a whole number of ${what}, at least ${min}`);
  return Number(v);
};
const seconds = (min: number) => integer(min, 'seconds');

/** `100/60` is 100 requests per 60 seconds. */
export function parseRateLimit(v: string): { requests: number; per_seconds: number } {
  const m = /^(\d{1,7})\/(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('must be REQUESTS/SECONDS, e.g. 100/60');
  return { requests: Number(m[1]), per_seconds: Number(m[2]) };
}

/** Scopes may be given as `--scope a b`, repeated, or as one OAuth-style space-separated string. */
const words = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');

function withCommon(cmd: Command): Command {
  return cmd
    .exitOverride()
    .addOption(new Option('--url <url>', 'Tessera server base URL').env('TESSERA_URL'))
    .option('--json', "print the server's JSON answer", false);
}

/** Runs one admin call and prints its answer (or the server's JSON with --json). */
async function call<T>(io: CliIo, o: Common, send: (c: AdminClient) => Promise<T>, print: (answer: T) => string[]): Promise<void> {
  await withExitCodes(io, async () => {
    const answer = await send(new AdminClient(resolveConnection(o.url)));
    for (const line of o.json ? [prettyJson(answer)] : print(answer)) io.out(line);
  });
}

const path = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

export function registerApiTokens(program: Command, io: CliIo): void {
  const group = program
    .command('api-tokens')
    .description('manage API tokens (personal access tokens) through the admin API')
    .exitOverride()
    .addHelpText('after', '\nCredentials: TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET of a client with scope tessera:admin.\nServer: --url or TESSERA_URL.');

  withCommon(group.command('create').description('create an API token for a user; prints its secret once'))
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
      allowIp?: string[]; rateLimit?: { requests: number; per_seconds: number };
    }) => {
      const body = {
        user: o.user, name: o.name, scopes: words(o.scope), description: o.description,
        expires_in: o.expiresIn, expires_at: o.expiresAt,
        allowed_ips: o.allowIp ? words(o.allowIp) : undefined, rate_limit: o.rateLimit,
      };
      await call(io, o, (c) => c.request<ApiTokenView>('POST', BASE, { body }), (t) => [...tokenLines(t), ...secretLines(t)]);
    });

  withCommon(group.command('list').description('list API tokens (all users unless --user), ordered by id'))
    .option('--user <user>', 'only this user\'s tokens: user id or username')
    .addOption(new Option('--active', 'only active tokens').conflicts('inactive'))
    .addOption(new Option('--inactive', 'only revoked or expired tokens'))
    .option('--expiring-within <seconds>', 'only active tokens expiring within this many seconds', seconds(0))
    .option('--unused-for <seconds>', 'only tokens not used for this long (never used: since creation)', seconds(0))
    .option('--limit <n>', 'page size', integer(1, 'tokens'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .action(async (o: Common & {
      user?: string; active?: boolean; inactive?: boolean; expiringWithin?: number; unusedFor?: number; limit?: number; cursor?: string;
    }) => {
      const query = {
        user: o.user, active: o.active ? 'true' : o.inactive ? 'false' : undefined,
        expiring_within: o.expiringWithin, unused_for: o.unusedFor, limit: o.limit, cursor: o.cursor,
      };
      await call(io, o, (c) => c.request<ApiTokenPage>('GET', BASE, { query }), (page) => {
        const lines = page.items.length > 0 ? tokenTable(page.items) : ['No API tokens.'];
        if (page.next_cursor) lines.push('', `More: add --cursor ${page.next_cursor}`);
        return lines;
      });
    });

  withCommon(group.command('get').description('show one API token').argument('<id>', 'token id (tok_...)'))
    .action(async (id: string, o: Common) => {
      await call(io, o, (c) => c.request<ApiTokenView>('GET', path(id)), tokenLines);
    });

  withCommon(group.command('rotate').description('give an API token a new secret; prints it once').argument('<id>', 'token id (tok_...)'))
    .option('--grace <seconds>', 'how long the old secret keeps working (default 0: it stops now)', seconds(0))
    .action(async (id: string, o: Common & { grace?: number }) => {
      const body = o.grace === undefined ? undefined : { grace_period: o.grace };
      await call(io, o, (c) => c.request<ApiTokenView>('POST', `${path(id)}/rotate`, { body }), (t) => [...tokenLines(t), ...secretLines(t)]);
    });

  withCommon(group.command('revoke').description('revoke an API token (it stays listed as revoked)').argument('<id>', 'token id (tok_...)'))
    .option('--reason <text>', 'why, kept with the token and in the audit log')
    .action(async (id: string, o: Common & { reason?: string }) => {
      const body = o.reason === undefined ? undefined : { reason: o.reason };
      await call(io, o, (c) => c.request<ApiTokenView>('DELETE', path(id), { body }), tokenLines);
    });
}
