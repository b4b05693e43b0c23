/**
 * Which scopes a use exercised, and whose record it counts for. A resource
 * server says what a request needed (the verifier's `scopes`, or the
 * `scope` parameter of an introspection); the scopes of the token among
 * those were exercised. An access token's use counts for the credential
 * behind it too: the API token it was exchanged from, else its client, so
 * that the least-privilege report can compare what each was granted with
 * what it used.
 */
import { MAX_SCOPES, type UsageRepository } from '../../store/usage-records.js';

/** Where Tessera's own APIs note that a credential exercised their scope (the least-privilege report); best effort. */
export interface ScopeUseSink {
  usage: UsageRepository;
  now: () => number;
  onError: (err: unknown) => void;
}

/** A client's usage record is kept this long after its last use: longer than any report window. */
export const CLIENT_USAGE_LIFETIME_MS = 400 * 86_400_000;

/** The scopes in `required` that `granted` (space-separated, RFC 6749 §3.3) holds. */
export function exercisedScopes(required: readonly string[], granted: string): string[] {
  // Most reads name no scopes (introspection without `scope`): nothing to split or compare.
  if (required.length === 0) return [];
  const held = new Set(granted.split(' ').filter(Boolean));
  return [...new Set(required)].filter((s) => held.has(s)).slice(0, MAX_SCOPES);
}

/** The usage key of the credential behind an access token: `api_token:<id>` when it was exchanged from one, else `client:<client_id>`. */
export function credentialUsageKey(claims: { client_id?: unknown; api_token_id?: unknown }): string | null {
  if (typeof claims.api_token_id === 'string') return `api_token:${claims.api_token_id}`;
  if (typeof claims.client_id === 'string') return `client:${claims.client_id}`;
  return null;
}

/** How long that record is kept from now: an API token's until its own expiry (the record's), a client's CLIENT_USAGE_LIFETIME_MS. */
export function credentialUsageExpiry(key: string, tokenExpiresAtMs: number, nowMs: number): number {
  return key.startsWith('client:') ? nowMs + CLIENT_USAGE_LIFETIME_MS : tokenExpiresAtMs;
}
