/**
 * `tessera audit list|tail|export`: clients of /admin/v1/audit through the
 * generated client.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ApiError, UsageError } from './cli-errors.js';
import { adminAction, CREDENTIALS_HELP, integer, nonEmpty, print, rfc3339, withJson, withUrl, type CliIo, type UrlOption } from './cli-support.js';
import { auditTable } from './audit-format.js';
import { adminLogins, filterQuery, tailAudit, type AuditFilters } from './audit-tail.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';

/** The filters every command takes; `since` is added apart, as `tail` describes it differently. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--actor <id>', 'only events of this actor: a client id or a user id', nonEmpty('client or user id'))
    .option('--subject <id>', 'only events about this subject: a user id or a client id', nonEmpty('user or client id'))
    .option('--token <id>', 'only events about this token: an API token id (tok_...), an access token jti, a refresh token family', nonEmpty('token id'))
    .option('--type <type>', 'only events of this type, e.g. api_token.created', nonEmpty('event type'));
}

/** NDJSON as the server sent it, checked: every line one JSON object (so a wrong --url never fills a file with HTML). */
function exportedLines(text: string): number {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    let ok = false;
    try {
      const v: unknown = JSON.parse(line);
      ok = typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      ok = false;
    }
    if (!ok) throw new ApiError('invalid_response', `the export's line ${i + 1} is not a JSON object; is --url a Tessera server?`);
  });
  return lines.length;
}

export function registerAudit(program: Command, io: CliIo): void {
  const group = program
    .command('audit')
    .description('read the audit log (who did what to which client, user, role, key or token) through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  withPaging(withFilters(withUrl(group.command('list').description('list audit events, newest first unless --order asc; one page unless --all'))),
    'events', 'the next_cursor of the previous page (give the same filters again)')
    .option('--since <time>', 'only events at or after this RFC 3339 date-time', rfc3339)
    .option('--until <time>', 'only events before this RFC 3339 date-time', rfc3339)
    .addOption(new Option('--order <order>', 'desc: newest first (the default); asc: oldest first').choices(['asc', 'desc']))
    .option('--json', "print the server's JSON answer")
    .option('--include-admin-logins', 'also list admin logins (token.issued with scope tessera:admin; every CLI command makes one)')
    .addHelpText('after', '\nWith filters a page may hold fewer events than --limit, even none, and still have a next page.\n' +
      'Example:\n  tessera audit list --token tok_AbCdEfGhIjKlMnOp --since 2030-01-01T00:00:00Z')
    .action(async (o: UrlOption & AuditFilters & PagingOptions & { until?: string; order?: 'asc' | 'desc'; json?: boolean }) => {
      await adminAction(io, o, async (api) => {
        const query = { ...filterQuery(o), ...adminLogins(o), until: o.until, order: o.order };
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/audit', { params: { query: { ...query, ...q } } })));
        print(io, o, page, (p) => pageLines(p, auditTable, 'No audit events.', 'No matching events in this page.'));
      });
    });

  withJson(withFilters(withUrl(group.command('tail').description('follow the audit log: print events as they happen, oldest first, until Ctrl-C'))),
    'print each event as one JSON object per line')
    .option('--since <time>', 'start at this RFC 3339 date-time (default: now, only new events)', rfc3339)
    .option('--interval <ms>', 'how often to ask for new events, in milliseconds', integer(100, 3_600_000, 'milliseconds'), 2000)
    .option('--max-events <n>', 'stop after printing this many events', integer(1, 1_000_000_000, 'events'))
    .option('--include-admin-logins', 'also print admin logins (token.issued with scope tessera:admin; every CLI command makes one)')
    .addHelpText('after', '\nCtrl-C ends it with exit code 0. Example:\n  tessera audit tail --type login.failed --json')
    .action(async (o: UrlOption & AuditFilters & { interval: number; maxEvents?: number; json?: boolean }) => {
      await adminAction(io, o, async (_api, conn) => {
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        process.once('SIGINT', onSigint);
        try {
          await tailAudit(io, conn, o, stop.signal);
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      });
    });

  withFilters(withUrl(group.command('export').description('export matching audit events, oldest first, as JSON lines (NDJSON)')))
    .option('--since <time>', 'only events at or after this RFC 3339 date-time', rfc3339)
    .option('--until <time>', 'only events before this RFC 3339 date-time', rfc3339)
    .option('-o, --output <file>', 'write to this file instead of stdout (replaced if it exists; a new file is readable by its owner only)')
    .addHelpText('after', '\nAt most 100000 events per export: narrow larger ranges with --since and --until.\n' +
      'Example:\n  tessera audit export --since 2030-01-01T00:00:00Z --until 2030-02-01T00:00:00Z --output january.jsonl')
    .action(async (o: UrlOption & AuditFilters & { until?: string; output?: string }) => {
      await adminAction(io, o, async (api) => {
        const query = { ...filterQuery(o), until: o.until };
        const text = await api.callText((c) => c.GET('/admin/v1/audit/export', {
          params: { query }, parseAs: 'text', headers: { Accept: 'application/x-ndjson' },
        }));
        const count = exportedLines(text);
        if (o.output === undefined) {
          if (text !== '') io.out(text.replace(/\n$/, ''));
          return;
        }
        try {
          await writeFile(o.output, text, { mode: 0o600 });
        } catch (e) {
          throw new UsageError(`cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        io.out(`${count} event${count === 1 ? '' : 's'} written to ${o.output}`);
      });
    });
}
