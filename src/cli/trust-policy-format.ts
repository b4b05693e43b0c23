/** How the CLI prints trust policies for people (types generated from openapi.yaml). */
import type { Schema } from './api-types.js';
import { describe, joined, table, type Field } from './output.js';

export type TrustPolicy = Schema<'TrustPolicy'>;

const keysOf = (p: TrustPolicy): string => {
  if (p.jwks) return `inline: ${p.jwks.keys.length} key(s)`;
  if (p.jwks_uri) return p.jwks_uri;
  return 'OpenID discovery at the issuer';
};

const conditions = (p: TrustPolicy): string => Object.entries(p.conditions).map(([claim, values]) => `${claim}=${values.join('|')}`).join(' ');

const FIELDS: Field<TrustPolicy>[] = [
  ['id', (p) => p.id],
  ['description', (p) => p.description],
  ['issuer', (p) => p.issuer],
  ['keys', keysOf],
  ['audiences', (p) => joined(p.audiences)],
  ['conditions', conditions],
  ['client_id', (p) => p.client_id],
  ['subject', (p) => p.subject],
  ['scopes', (p) => joined(p.scopes)],
  ['max_token_lifetime', (p) => `${p.max_token_lifetime} s`],
  ['created_at', (p) => p.created_at],
  ['updated_at', (p) => p.updated_at],
];

export const trustPolicyLines = (p: TrustPolicy): string[] => describe(p, FIELDS, ['jwks', 'jwks_uri']);

export function trustPolicyTable(items: TrustPolicy[]): string[] {
  return table(['ID', 'ISSUER', 'CLIENT', 'CONDITIONS', 'SCOPES'], items.map((p) => [p.id, p.issuer, p.client_id, conditions(p), joined(p.scopes)]));
}
