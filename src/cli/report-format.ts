/** How the CLI prints the token-hygiene reports for people (types generated from openapi.yaml). */
import type { Schema } from './api-types.js';
import { joined, table } from './output.js';
import { humanDuration } from '../core/hygiene/policy.js';

export type LeastPrivilegeReport = Schema<'LeastPrivilegeReport'>;
export type UnusedReport = Schema<'UnusedReport'>;
export type ExpiringReport = Schema<'ExpiringReport'>;

const days = (seconds: number) => `${Math.floor(seconds / 86_400)}d`;

export function leastPrivilegeTable(items: LeastPrivilegeReport['items']): string[] {
  return table(['KIND', 'ID', 'NAME', 'USED', 'UNUSED', 'LAST USED'],
    items.map((i) => [i.kind, i.id, i.name, joined(i.used.map((u) => u.scope)), joined(i.unused), i.last_used_at ?? 'never']));
}

export function unusedTable(items: UnusedReport['items']): string[] {
  return table(['ID', 'NAME', 'OWNER', 'UNUSED FOR', 'LAST USED', 'WARNED', 'ACTION AT'],
    items.map((i) => [i.id, i.name, i.username ?? i.user, days(i.unused_for), i.last_used_at ?? 'never', i.warned_at, i.action_at]));
}

/** One block per owner: its tokens, soonest first. */
export function expiringLines(r: ExpiringReport): string[] {
  if (r.owners.length === 0) return [`No API tokens expire before ${r.until}.`];
  return table(['OWNER', 'ID', 'NAME', 'EXPIRES', 'LEFT', 'LAST USED'],
    r.owners.flatMap((o) => o.tokens.map((t) => [o.username ?? o.user, t.id, t.name, t.expires_at, days(t.expires_in), t.last_used_at ?? 'never'])));
}

/** After narrowing: what went, what stays. */
export function narrowedLines(kept: readonly string[], removed: readonly string[], window: number): string[] {
  if (removed.length === 0) return [`Every scope was used in the last ${humanDuration(window)}; nothing removed. Scopes: ${kept.join(' ')}`];
  return [`Removed: ${removed.join(' ')}`, `Kept: ${kept.join(' ')}`];
}
