/**
 * `tessera audit list|tail|export`: clients of /admin/v1/audit. Exit codes
 * (contract): 0 success, 1 the server refused or could not be reached, 2 bad
 * usage. Values the CLI can check itself are checked while parsing, so a
 * typo never reaches the server.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AdminApiError, AdminClient, resolveConnection, UsageError, type Connection } from './admin-client.js';
import { rfc3339, withExitCodes as guarded, type CliIo } from './cli-support.js';
import { auditLine, auditTable, compareEventIds, eventIdMs, type AuditEventView, type AuditPage } from './audit-format.js';
import { prettyJson } from './output.js';

const BASE = '/admin/v1/audit';
/** The server's largest page. */
const MAX_LIMIT = 200;
/** Consecutive failed polls `tail` rides out (a restart, a Redis failover) before it gives up. */
const TAIL_RETRIES = 5;

interface Common {
  url?: string;
}

interface Filters {
  actor?: string;
  subject?: string;
  token?: string;
  type?: string;
  since?: string;
}

type Query = Record<string, string | number | undefined>;

const integer = (min: number, max: number, what: string) => (v: string) => {
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`must be a whole number of ${what} from ${min} to ${max}`);
  return Number(v);
};

const nonEmpty = (what: string) => (v: string) => {
  if (v.length < 1 || v.length > 200) throw new InvalidArgumentError(`must be a ${what} of 1 to 200 characters`);
  return v;
};

function withUrl(cmd: Command): Command {
  return cmd.exitOverride().addOption(new Option('--url <url>', 'Tessera server base URL').env('TESSERA_URL'));
}

/** The filters every command takes; `since` is added apart, as `tail` describes it differently. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--actor <id>', 'only events of this actor: a client id or a user id', nonEmpty('client or user id'))
    .option('--subject <id>', 'only events about this subject: a user id or a client id', nonEmpty('user or client id'))
    .option('--token <id>', 'only events about this token: an API token id (tok_...), an access token jti, a refresh token family', nonEmpty('token id'))
    .option('--type <type>', 'only events of this type, e.g. api_token.created', nonEmpty('event type'));
}

const filterQuery = (o: Filters): Query => ({ actor: o.actor, subject: o.subject, token_id: o.token, type: o.type, since: o.since });

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
    if (!ok) throw new AdminApiError('invalid_response', `the export's line ${i + 1} is not a JSON object; is --url a Tessera server?`);
  });
  return lines.length;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const later = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : compareEventIds(a, b) >= 0 ? a : b);

/** Failures a long-running tail waits out; anything else (403, 400) ends it. */
const transient = (e: AdminApiError) =>
  e.error === 'unreachable' || e.error === 'temporarily_unavailable' || e.error === 'too_many_requests' || /^http_5\d\d$/.test(e.error);

export interface TailOptions extends Filters {
  json: boolean;
  interval: number;
  maxEvents?: number;
}

/**
 * Follows the log: every event from `since` (default: from the newest event
 * now in the log, i.e. only new ones), oldest first, then polls for more.
 *
 * Where it stands is an event id, not a clock reading: ids increase, and the
 * server's since/until compare the milliseconds they start with. Each poll
 * asks for `since` = the milliseconds of the newest id examined, follows
 * next_cursor to the end, and skips ids it has already passed. With filters,
 * the newest id in the whole log is read before each scan, so a filter that
 * rarely matches does not make every poll rescan from its last match.
 * Resolves when `maxEvents` were printed or `signal` aborts.
 */
export async function tailAudit(io: CliIo, conn: Connection, o: TailOptions, signal: AbortSignal): Promise<void> {
  let client = new AdminClient(conn);
  const filters = filterQuery({ ...o, since: undefined });
  const filtered = Object.values(filters).some((v) => v !== undefined);
  let failures = 0;
  let started = false;

  /** One request; an expired admin token is replaced once, transient failures are retried once started. */
  const get = async (query: Query): Promise<AuditPage> => {
    for (let renewed = false; ;) {
      try {
        const page = await client.request<AuditPage>('GET', BASE, { query, signal });
        failures = 0;
        return page;
      } catch (e) {
        if (!(e instanceof AdminApiError)) throw e;
        if (e.error === 'invalid_token' && !renewed) {
          client = new AdminClient(conn);
          renewed = true;
          continue;
        }
        if (!started || !transient(e) || ++failures > TAIL_RETRIES) throw e;
        io.err(`tessera: ${e.message}; retrying in ${o.interval} ms`);
        await pause(o.interval, signal);
        if (signal.aborted) throw signal.reason;
      }
    }
  };
  const newest = async () => (await get({ order: 'desc', limit: 1 })).items[0]?.id;

  try {
    let since = o.since;
    /** Every event up to this id has been examined (printed when it matched). */
    let passed: string | undefined;
    if (since === undefined) {
      passed = await newest();
      const ms = passed === undefined ? undefined : eventIdMs(passed);
      if (ms !== undefined) since = new Date(ms).toISOString();
    }
    started = true;

    let printed = 0;
    while (!signal.aborted) {
      const horizon = filtered ? await newest() : undefined;
      let cursor: string | undefined;
      do {
        const page = await get({ ...filters, since, order: 'asc', limit: MAX_LIMIT, cursor });
        for (const e of page.items as AuditEventView[]) {
          if (passed !== undefined && compareEventIds(e.id, passed) <= 0) continue;
          io.out(o.json ? JSON.stringify(e) : auditLine(e));
          passed = e.id;
          if (o.maxEvents !== undefined && ++printed >= o.maxEvents) return;
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined && !signal.aborted);
      passed = later(passed, horizon);
      const ms = passed === undefined ? undefined : eventIdMs(passed);
      if (ms !== undefined) since = new Date(ms).toISOString();
      await pause(o.interval, signal);
    }
  } catch (e) {
    // Ctrl-C in the middle of a request: a normal end.
    if (signal.aborted && !(e instanceof AdminApiError)) return;
    throw e;
  }
}

export function registerAudit(program: Command, io: CliIo): void {
  const group = program
    .command('audit')
    .description('read the audit log (who did what to which client, user, role, key or token) through the admin API')
    .exitOverride()
    .addHelpText('after', '\nCredentials: TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET of a client with scope tessera:admin.\nServer: --url or TESSERA_URL.');

  withFilters(withUrl(group.command('list').description('list audit events, newest first unless --order asc; one page')))
    .option('--since <time>', 'only events at or after this RFC 3339 date-time', rfc3339)
    .option('--until <time>', 'only events before this RFC 3339 date-time', rfc3339)
    .addOption(new Option('--order <order>', 'desc: newest first (the default); asc: oldest first').choices(['asc', 'desc']))
    .option('--limit <n>', `page size, 1 to ${MAX_LIMIT} (server default 50)`, integer(1, MAX_LIMIT, 'events'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page (give the same filters again)')
    .option('--json', "print the server's JSON answer", false)
    .addHelpText('after', '\nWith filters a page may hold fewer events than --limit, even none, and still have a next page.\n' +
      'Example:\n  tessera audit list --token tok_AbCdEfGhIjKlMnOp --since 2030-01-01T00:00:00Z')
    .action(async (o: Common & Filters & { until?: string; order?: string; limit?: number; cursor?: string; json: boolean }) => {
      await guarded(io, async () => {
        const client = new AdminClient(resolveConnection(o.url));
        const query = { ...filterQuery(o), until: o.until, order: o.order, limit: o.limit, cursor: o.cursor };
        const page = await client.request<AuditPage>('GET', BASE, { query });
        if (o.json) return io.out(prettyJson(page));
        const lines = page.items.length > 0 ? auditTable(page.items) : [page.next_cursor ? 'No matching events in this page.' : 'No audit events.'];
        if (page.next_cursor) lines.push('', `More: add --cursor ${page.next_cursor}`);
        for (const line of lines) io.out(line);
      });
    });

  withFilters(withUrl(group.command('tail').description('follow the audit log: print events as they happen, oldest first, until Ctrl-C')))
    .option('--since <time>', 'start at this RFC 3339 date-time (default: now, only new events)', rfc3339)
    .option('--interval <ms>', 'how often to ask for new events, in milliseconds', integer(100, 3_600_000, 'milliseconds'), 2000)
    .option('--max-events <n>', 'stop after printing this many events', integer(1, 1_000_000_000, 'events'))
    .option('--json', 'print each event as one JSON object per line', false)
    .addHelpText('after', '\nCtrl-C ends it with exit code 0. Example:\n  tessera audit tail --type login.failed --json')
    .action(async (o: Common & Filters & { interval: number; maxEvents?: number; json: boolean }) => {
      await guarded(io, async () => {
        const conn = resolveConnection(o.url);
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
    .action(async (o: Common & Filters & { until?: string; output?: string }) => {
      await guarded(io, async () => {
        const client = new AdminClient(resolveConnection(o.url));
        const query = { ...filterQuery(o), until: o.until };
        const text = await client.requestText('GET', `${BASE}/export`, { query, accept: 'application/x-ndjson' });
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
