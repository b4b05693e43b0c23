/**
 * What a revocation source is asked about a token, whichever source it is
 * (Tessera's Redis, or the feed): the revocation-list ids that would end it
 * and the subject's cut-off. Tessera names a token by its `jti`, and every
 * JWT exchanged from an API token also by `api_token:<id>` (revoking the API
 * token ends them too); `revoke-tokens` on a user sets a cut-off that ends
 * every token of that `sub` issued before it.
 */

export interface RevocationQuery {
  /** Revocation-list ids, any one of which revokes the token. */
  ids: string[];
  /** Whose cut-off applies; null for none. */
  sub: string | null;
  /** Epoch seconds. */
  iat: number;
}

export interface RevocationSource {
  /** Throws a BearerError (503) when it cannot tell. */
  isRevoked(q: RevocationQuery): Promise<boolean>;
  close(): Promise<void>;
}

/** Tessera's id for every JWT exchanged from an API token (src/core/tokens/access-token-validator.ts). */
export function apiTokenRevocationId(apiTokenId: string): string {
  return `api_token:${apiTokenId}`;
}

/**
 * Tessera stores a cut-off in ms but `iat` has whole seconds, so a token from
 * the cut-off's own second counts as issued before it: nothing issued before
 * the cut-off survives (the server decides the same way).
 */
export function cutOff(iat: number, beforeSeconds: number): boolean {
  return iat < beforeSeconds;
}
