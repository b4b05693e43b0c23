/** How the CLI prints users and roles for people. The types are the generated ones (openapi.yaml). */
import type { Schema } from './api-types.js';
import { describe, joined, table, type Field } from './output.js';

export type User = Schema<'User'>;
export type Role = Schema<'Role'>;

const status = (u: User) => (u.disabled ? 'disabled' : 'active');

const USER_FIELDS: Field<User>[] = [
  ['id', (u) => u.id],
  ['username', (u) => u.username],
  ['roles', (u) => joined(u.roles)],
  ['status', status],
  ['created_at', (u) => u.created_at],
  ['updated_at', (u) => u.updated_at],
  ['tokens_revoked_at', (u) => u.tokens_revoked_at],
];

export const userLines = (u: User): string[] => describe(u, USER_FIELDS, ['disabled']);

export function userTable(items: User[]): string[] {
  return table(['ID', 'USERNAME', 'ROLES', 'STATUS', 'CREATED'], items.map((u) => [u.id, u.username, joined(u.roles), status(u), u.created_at]));
}

const ROLE_FIELDS: Field<Role>[] = [
  ['name', (r) => r.name],
  ['scopes', (r) => joined(r.scopes)],
  ['created_at', (r) => r.created_at],
  ['updated_at', (r) => r.updated_at],
];

export const roleLines = (r: Role): string[] => describe(r, ROLE_FIELDS);

export function roleTable(items: Role[]): string[] {
  return table(['NAME', 'SCOPES', 'UPDATED'], items.map((r) => [r.name, joined(r.scopes), r.updated_at]));
}
