/**
 * `tessera audit tail`: follows the audit log by polling /admin/v1/audit.
 *
 * Where it stands is an event id, not a clock reading: ids increase, and the
 * server's since/until compare the milliseconds they start with. Each poll
 * asks for `since` = the milliseconds of the newest id examined, follows
 * next_cursor to the end, and skips ids it has already passed. With filters,
 * the newest id in the whole log is read before each scan, so a filter that
 * rarely matches does not make every poll rescan from its last match.
 */
import type { operations } from '../client/tessera-client.js';
import { AdminApi, credentialsOrigin } from './admin-api.js';
import { ApiError } from './cli-errors.js';
import type { CliIo } from './cli-support.js';
import type { Connection } from './connection.js';
import { auditLine, compareEventIds, eventIdMs, type AuditPage } from './audit-format.js';
import { MAX_PAGE } from './paging.js';

/** Consecutive failed polls `tail` rides out (a restart, a Redis failover) before it gives up. */
const TAIL_RETRIES = 5;

export type AuditQuery = NonNullable<operations['listAuditEvents']['parameters']['query']>;

export interface AuditFilters {
  actor?: string;
  subject?: string;
  token?: string;
  type?: string;
  since?: string;
  includeAdminLogins?: boolean;
}

export const filterQuery = (o: AuditFilters): AuditQuery => ({ actor: o.actor, subject: o.subject, token_id: o.token, type: o.type, since: o.since });

/**
 * What `audit list` and `audit tail` show by default: not the admin logins
 * (every CLI command logs in, so they would bury everything else), unless
 * asked with --include-admin-logins or by asking for token.issued events.
 */
export const adminLogins = (o: AuditFilters): Pick<AuditQuery, 'exclude_admin_logins'> =>
  (o.includeAdminLogins || o.type === 'token.issued' ? {} : { exclude_admin_logins: 'true' });

export interface TailOptions extends AuditFilters {
  json?: boolean;
  interval: number;
  maxEvents?: number;
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
const transient = (e: ApiError) =>
  e.error === 'unreachable' || e.error === 'temporarily_unavailable' || e.error === 'too_many_requests' || /^http_5\d\d$/.test(e.error);

/**
 * Prints every event from `since` (default: from the newest event now in the
 * log, i.e. only new ones), oldest first, then polls for more. Resolves when
 * `maxEvents` were printed or `signal` aborts.
 */
export async function tailAudit(io: CliIo, conn: Connection, o: TailOptions, signal: AbortSignal): Promise<void> {
  let api = new AdminApi(conn, credentialsOrigin(conn));
  const filters = { ...filterQuery({ ...o, since: undefined }), ...adminLogins(o) };
  const filtered = Object.values(filters).some((v) => v !== undefined);
  let failures = 0;
  let started = false;

  /** One request; an admin token the server stopped accepting is replaced once, transient failures are retried once started. */
  const get = async (query: AuditQuery): Promise<AuditPage> => {
    for (let renewed = false; ;) {
      try {
        const page = await api.call((c) => c.GET('/admin/v1/audit', { params: { query }, signal }), signal);
        failures = 0;
        return page;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.error === 'invalid_token' && !renewed) {
          api = new AdminApi(conn, credentialsOrigin(conn));
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
        const page = await get({ ...filters, since, order: 'asc', limit: MAX_PAGE, cursor });
        for (const e of page.items) {
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
    if (signal.aborted && !(e instanceof ApiError)) return;
    throw e;
  }
}
