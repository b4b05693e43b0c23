/**
 * The API token as the admin API shows it, and how the CLI prints it for
 * people. The types are the CLI's own (not imported from src/core): the CLI
 * is a client of the HTTP API and must keep working against what the server
 * sends, which may carry fields this version does not know.
 */
import { keyValues, table, type Cell } from './output.js';

export interface Actor {
  type: string;
  id: string | null;
}

export interface ApiTokenView {
  id: string;
  user: string;
  name: string;
  description: string | null;
  scopes: string[];
  expires_at: string;
  allowed_ips: string[] | null;
  rate_limit: { requests: number; per_seconds: number } | null;
  created_at: string;
  created_by: Actor | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  rotated_at: string | null;
  previous_secret_expires_at: string | null;
  revoked_at: string | null;
  revoked_by: Actor | null;
  revocation_reason: string | null;
  status: string;
  /** The secret: only in the answers to create and rotate. */
  token?: string;
  [extra: string]: unknown;
}

export interface ApiTokenPage {
  items: ApiTokenView[];
  next_cursor: string | null;
}

const actor = (a: Actor | null | undefined): Cell => (a ? (a.id ? `${a.type} ${a.id}` : a.type) : null);
const list = (v: string[] | null | undefined): Cell => (v && v.length > 0 ? v.join(' ') : null);

/** Known fields in a reading order; the secret is left out (it is printed apart, with its warning). */
const FIELDS: [string, (t: ApiTokenView) => Cell][] = [
  ['id', (t) => t.id],
  ['name', (t) => t.name],
  ['description', (t) => t.description],
  ['user', (t) => t.user],
  ['scopes', (t) => list(t.scopes)],
  ['status', (t) => t.status],
  ['expires_at', (t) => t.expires_at],
  ['allowed_ips', (t) => list(t.allowed_ips) ?? 'any'],
  ['rate_limit', (t) => (t.rate_limit ? `${t.rate_limit.requests} requests per ${t.rate_limit.per_seconds} s` : 'none')],
  ['created_at', (t) => t.created_at],
  ['created_by', (t) => actor(t.created_by)],
  ['last_used_at', (t) => t.last_used_at ?? 'never'],
  ['last_used_ip', (t) => t.last_used_ip],
  ['rotated_at', (t) => t.rotated_at],
  ['previous_secret_expires_at', (t) => t.previous_secret_expires_at],
  ['revoked_at', (t) => t.revoked_at],
  ['revoked_by', (t) => actor(t.revoked_by)],
  ['revocation_reason', (t) => t.revocation_reason],
];
const KNOWN = new Set([...FIELDS.map(([k]) => k), 'token']);

/** One token as `key: value` lines; fields a newer server adds are shown too rather than hidden. */
export function tokenLines(t: ApiTokenView): string[] {
  const extra = Object.entries(t)
    .filter(([k]) => !KNOWN.has(k))
    .map(([k, v]): [string, Cell] => [k, v === null || typeof v !== 'object' ? (v as Cell) : JSON.stringify(v)]);
  return keyValues([...FIELDS.map(([k, f]): [string, Cell] => [k, f(t)]), ...extra]);
}

/** The list: one row per token, the columns people scan for. */
export function tokenTable(items: ApiTokenView[]): string[] {
  return table(
    ['ID', 'NAME', 'USER', 'SCOPES', 'STATUS', 'EXPIRES', 'LAST USED'],
    items.map((t) => [t.id, t.name, t.user, list(t.scopes), t.status, t.expires_at, t.last_used_at ?? 'never']),
  );
}

/** The secret with the warning people need: it is in this answer only (the server keeps a hash). */
export function secretLines(t: ApiTokenView): string[] {
  if (typeof t.token !== 'string') return [];
  const lines = ['', `token: ${t.token}`, 'This secret is shown now and will not be shown again: store it somewhere safe.'];
  if (t.previous_secret_expires_at) lines.push(`The previous secret keeps working until ${t.previous_secret_expires_at}.`);
  return lines;
}
