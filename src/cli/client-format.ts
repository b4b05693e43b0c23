/** How the CLI prints OAuth clients for people. The types are the generated ones (openapi.yaml). */
import type { components } from '../client/tessera-client.js';
import type { Schema } from './api-types.js';
import { describe, joined, secretLines, table, type Field } from './output.js';

export type Client = Schema<'Client'>;
export type ClientCreated = Schema<'ClientCreated'>;
export type GrantType = components['schemas']['GrantType'];
/** Any client answer; a public client's null secret_rotated_at is not in its answer type (see api-types.ts). */
type ClientView = Omit<Client, 'secret_rotated_at'> & { secret_rotated_at?: string | null };

/** Every grant type the API knows, for --grant-type's choices; the check below fails the build when openapi.yaml adds one. */
export const GRANT_TYPES = [
  'client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const satisfies readonly GrantType[];
const allGrantTypes: Exclude<GrantType, (typeof GRANT_TYPES)[number]> extends never ? true : never = true;
void allGrantTypes;

const kind = (c: ClientView) => (c.public ? 'public' : 'confidential');

const FIELDS: Field<ClientView>[] = [
  ['client_id', (c) => c.client_id],
  ['name', (c) => c.name],
  ['type', kind],
  ['grant_types', (c) => joined(c.grant_types)],
  ['scopes', (c) => joined(c.scopes)],
  ['default_scopes', (c) => (c.default_scopes === null ? 'all of scopes' : joined(c.default_scopes) ?? 'none')],
  ['audiences', (c) => joined(c.audiences) ?? 'the issuer'],
  ['redirect_uris', (c) => joined(c.redirect_uris)],
  ['third_party', (c) => c.third_party],
  ['always_issue_refresh_token', (c) => c.always_issue_refresh_token],
  ['token_endpoint_auth_method', (c) => c.token_endpoint_auth_method],
  ['jwks', (c) => (c.jwks ? `${c.jwks.keys.length} key(s): ${c.jwks.keys.map((k) => k.kid ?? k.kty).join(' ')}` : null)],
  ['jwks_uri', (c) => c.jwks_uri],
  ['dpop_bound_access_tokens', (c) => c.dpop_bound_access_tokens],
  ['created_at', (c) => c.created_at],
  ['updated_at', (c) => c.updated_at],
  ['secret_rotated_at', (c) => c.secret_rotated_at],
];

export const clientLines = (c: ClientView): string[] => describe(c, FIELDS, ['public', 'client_secret']);

/** A client answered with its secret (create, rotate-secret): the fields, then the secret once with its warning. */
export function clientWithSecretLines(c: ClientCreated): string[] {
  const lines = clientLines(c);
  return 'client_secret' in c && typeof c.client_secret === 'string' ? [...lines, ...secretLines('client_secret', c.client_secret)] : lines;
}

export function clientTable(items: Client[]): string[] {
  return table(['CLIENT ID', 'NAME', 'TYPE', 'GRANT TYPES', 'SCOPES'], items.map((c) => [c.client_id, c.name, kind(c), joined(c.grant_types), joined(c.scopes)]));
}
