/**
 * Audit events as the admin API shows them, and how the CLI prints them for
 * people. The types are the CLI's own (not imported from src/core or
 * src/store): the CLI is a client of the HTTP API and must keep working
 * against what the server sends, which may carry fields this version does
 * not know.
 */
import type { Actor } from './api-token-format.js';
import { clean, table, type Cell } from './output.js';

export interface AuditEventView {
  /** `<epoch ms>-<seq>`, increasing. */
  id: string;
  time: string;
  type: string;
  actor: Actor | null;
  subject: string | null;
  token_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  route: string | null;
  detail: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface AuditPage {
  items: AuditEventView[];
  next_cursor: string | null;
}

const HEADERS = ['TIME', 'TYPE', 'ACTOR', 'SUBJECT', 'TOKEN', 'ROUTE'];

const actor = (a: Actor | null | undefined): Cell => (a ? (a.id ? `${a.type} ${a.id}` : a.type) : null);

const row = (e: AuditEventView): Cell[] => [e.time, e.type, actor(e.actor), e.subject, e.token_id, e.route];

/** The list: one row per event, the columns people scan for (--json has every field). */
export function auditTable(items: AuditEventView[]): string[] {
  return table(HEADERS, items.map(row));
}

/**
 * One event as one line, for `tail`: the table's columns, two spaces apart.
 * Time and type are padded so that consecutive lines mostly line up; a line
 * is printed as soon as its event arrives, so later widths are unknown.
 */
export function auditLine(e: AuditEventView): string {
  const [time, type, ...rest] = row(e).map(clean);
  return [time!.padEnd(24), type!.padEnd(24), ...rest].join('  ').trimEnd();
}

/** Stream ids compare as (milliseconds, sequence), not as strings. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** The epoch milliseconds an event id starts with (what the server's since/until compare). */
export function eventIdMs(id: string): number | undefined {
  const m = /^(\d{1,15})-\d{1,10}$/.exec(id);
  return m ? Number(m[1]) : undefined;
}
