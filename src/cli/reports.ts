/** `tessera reports least-privilege|unused|expiring`: the token-hygiene reports of the admin API. */
import { Command, Option } from 'commander';
import { adminAction, adminOptions, CREDENTIALS_HELP, integer, print, seconds, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';
import { expiringLines, leastPrivilegeTable, unusedTable } from './report-format.js';

type Common = UrlOption & JsonOption & PagingOptions;

export const windowOption = () =>
  new Option('--window <seconds>', 'how far back a scope counts as used (default 2592000: 30 days)').argParser(integer(1, 34_560_000, 'seconds'));

export function registerReports(program: Command, io: CliIo): void {
  const group = program
    .command('reports')
    .description('token-hygiene reports: least privilege, unused and expiring API tokens')
    .addHelpText('after', CREDENTIALS_HELP);

  withPaging(adminOptions(group.command('least-privilege').description('scopes granted against scopes exercised, per API token or client')), 'tokens')
    .addOption(new Option('--kind <kind>', 'API tokens or clients').choices(['api_token', 'client']).default('api_token'))
    .addOption(windowOption())
    .option('--user <user>', 'only this user\'s API tokens')
    .option('--excess-only', 'only those with a scope not used in the window')
    .addHelpText('after', '\nNarrow one with `tessera api-tokens narrow ID` or `tessera clients narrow ID`.\n' +
      'Example:\n  tessera reports least-privilege --excess-only --window 7776000')
    .action(async (o: Common & { kind: 'api_token' | 'client'; window?: number; user?: string; excessOnly?: boolean }) => {
      const query = { kind: o.kind, window: o.window, user: o.user, excess_only: o.excessOnly ? ('true' as const) : undefined };
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/reports/least-privilege', { params: { query: { ...query, ...q } } })));
        print(io, o, page, (p) => pageLines(p, leastPrivilegeTable, 'Nothing to report.', 'Nothing in this page.'));
      });
    });

  withPaging(adminOptions(group.command('unused').description('active API tokens not used for a while, with the unused-token policy\'s dates')), 'tokens')
    .option('--unused-for <seconds>', 'without a use for this long (default: the server\'s TESSERA_API_TOKEN_UNUSED_AFTER)', seconds(1))
    .option('--user <user>', 'only this user\'s tokens')
    .action(async (o: Common & { unusedFor?: number; user?: string }) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/reports/unused', { params: { query: { unused_for: o.unusedFor, user: o.user, ...q } } })));
        print(io, o, page, (p) => pageLines(p, unusedTable, 'No unused API tokens.', 'Nothing in this page.'));
      });
    });

  adminOptions(group.command('expiring').description('active API tokens expiring soon, by owner'))
    .option('--within <seconds>', 'expiring within this long (default 604800: 7 days)', seconds(1))
    .option('--user <user>', 'only this user\'s tokens')
    .option('--limit <n>', 'tokens per page, 1 to 200', integer(1, 200, 'tokens'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .action(async (o: UrlOption & JsonOption & { within?: number; user?: string; limit?: number; cursor?: string }) => {
      await adminAction(io, o, async (api) => {
        const r = await api.call((c) => c.GET('/admin/v1/reports/expiring', { params: { query: { within: o.within, user: o.user, limit: o.limit, cursor: o.cursor } } }));
        print(io, o, r, (x) => [...expiringLines(x), ...(x.next_cursor ? ['', `More: add --cursor ${x.next_cursor}`] : [])]);
      });
    });
}
