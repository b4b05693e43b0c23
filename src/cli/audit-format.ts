/**
 * How the CLI prints audit events for people. The types are the generated
 * ones (openapi.yaml); --json prints every field as the server sent it.
 */
import type { Schema } from './api-types.js';
import { actorCell, clean, table, type Cell } from './output.js';

export type AuditEvent = Schema<'AuditEvent'>;
export type AuditPage = Schema<'AuditPage'>;

const HEADERS = ['TIME', 'TYPE', 'ACTOR', 'SUBJECT', 'TOKEN', 'ROUTE'];

const row = (e: AuditEvent): Cell[] => [e.time, e.type, actorCell(e.actor), e.subject, e.token_id, e.route];

/** The list: one row per event, the columns people scan for (--json has every field). */
export function auditTable(items: AuditEvent[]): string[] {
  return table(HEADERS, items.map(row));
}

/**
 * One event as one line, for `tail`: the table's columns, two spaces apart.
 * Time and type are padded so that consecutive lines mostly line up; a line
 * is printed as soon as its event arrives, so later widths are unknown.
 */
export function auditLine(e: AuditEvent): string {
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
