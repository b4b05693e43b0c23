/**
 * How the CLI prints API tokens for people. The types are the generated
 * ones (openapi.yaml); fields a newer server adds are shown too.
 */
import type { Schema } from './api-types.js';
import { actorCell, describe, joined, secretLines, table, type Field } from './output.js';

export type ApiToken = Schema<'ApiToken'>;
export type ApiTokenCreated = Schema<'ApiTokenCreated'>;
export type ApiTokenUsage = Schema<'ApiTokenUsage'>;

/** Known fields in a reading order; the secret is left out (it is printed apart, with its warning). */
const FIELDS: Field<ApiToken>[] = [
  ['id', (t) => t.id],
  ['name', (t) => t.name],
  ['description', (t) => t.description],
  ['user', (t) => t.user],
  ['scopes', (t) => joined(t.scopes)],
  ['status', (t) => t.status],
  ['expires_at', (t) => t.expires_at],
  ['allowed_ips', (t) => joined(t.allowed_ips) ?? 'any'],
  ['rate_limit', (t) => (t.rate_limit ? `${t.rate_limit.requests} requests per ${t.rate_limit.per_seconds} s` : 'none')],
  ['created_at', (t) => t.created_at],
  ['created_by', (t) => actorCell(t.created_by)],
  ['last_used_at', (t) => t.last_used_at ?? 'never'],
  ['last_used_ip', (t) => t.last_used_ip],
  ['rotated_at', (t) => t.rotated_at],
  ['previous_secret_expires_at', (t) => t.previous_secret_expires_at],
  ['revoked_at', (t) => t.revoked_at],
  ['revoked_by', (t) => actorCell(t.revoked_by)],
  ['revocation_reason', (t) => t.revocation_reason],
  ['paused_at', (t) => t.paused_at],
  ['pause_reason', (t) => t.pause_reason],
];

export const tokenLines = (t: ApiToken): string[] => describe(t, FIELDS, ['token']);

/** The list: one row per token, the columns people scan for. */
export function tokenTable(items: ApiToken[]): string[] {
  return table(
    ['ID', 'NAME', 'USER', 'SCOPES', 'STATUS', 'EXPIRES', 'LAST USED'],
    items.map((t) => [t.id, t.name, t.user, joined(t.scopes), t.status, t.expires_at, t.last_used_at ?? 'never']),
  );
}

/** A token with its new secret (create, rotate): the fields, then the secret once with its warning. */
export function createdTokenLines(t: ApiTokenCreated): string[] {
  const lines = [...tokenLines(t), ...secretLines('token', t.token)];
  if (t.previous_secret_expires_at) lines.push(`The previous secret keeps working until ${t.previous_secret_expires_at}.`);
  return lines;
}

/** Usage: the last use, when each scope was last exercised (when known), then uses per route, most used first. */
export function usageLines(u: ApiTokenUsage): string[] {
  const routes = Object.entries(u.routes).sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb));
  const head = describe(u, [['id', (x) => x.id], ['last_used_at', (x) => x.last_used_at ?? 'never'], ['last_used_ip', (x) => x.last_used_ip]], ['routes', 'scopes']);
  if (routes.length === 0) return [...head, '', 'No uses recorded.'];
  const scopes = Object.entries(u.scopes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const exercised = scopes.length ? ['', ...table(['SCOPE', 'LAST EXERCISED'], scopes)] : [];
  return [...head, ...exercised, '', ...table(['USES', 'ROUTE'], routes.map(([route, n]) => [n, route]))];
}
