/**
 * Trust policies of federated workload identity: which external issuers'
 * tokens the JWT bearer grant (RFC 7523 §2.1) accepts, on which conditions,
 * and what they are exchanged for.
 */
import type { Page, PageRequest } from './store.js';

/** An RFC 7517 JWK Set as stored (public keys only; checked on input). */
export interface StoredJwks {
  keys: Array<Record<string, unknown>>;
}

export interface TrustPolicyRecord {
  id: string;
  description: string;
  /** The external issuer, exactly as its tokens' `iss`. Fixed at creation. */
  issuer: string;
  /** Where its keys are; null with `jwks` given, or to find them by OpenID discovery. */
  jwks_uri: string | null;
  /** Its keys given inline (an issuer whose JWKS Tessera cannot fetch). */
  jwks: StoredJwks | null;
  /** The external token's `aud` must name one of these. */
  audiences: string[];
  /** Claim name → accepted values (`*` matches any run of characters); every claim must match. */
  conditions: Record<string, string[]>;
  /** The Tessera client the issued access token is for. */
  client_id: string;
  /** The issued token's `sub`: a template with `{claim}` placeholders. */
  subject: string;
  /** Scopes the exchange may grant (and the client must hold). */
  scopes: string[];
  /** Longest lifetime (`exp` − `iat`, seconds) an external token may have. */
  max_token_lifetime: number;
  created_at: string;
  updated_at: string;
}

export interface TrustPolicyRepository {
  /** Creates the policy unless its id is taken; false when it is. */
  create(policy: TrustPolicyRecord): Promise<boolean>;
  /** Replaces an existing policy (same issuer); false when there is none. */
  replace(policy: TrustPolicyRecord): Promise<boolean>;
  get(id: string): Promise<TrustPolicyRecord | null>;
  /** Ordered by id; the cursor is exclusive. */
  list(page: PageRequest): Promise<Page<TrustPolicyRecord>>;
  /** Every policy for one issuer, ordered by id (the grant's lookup). */
  listByIssuer(issuer: string): Promise<TrustPolicyRecord[]>;
  delete(id: string): Promise<boolean>;
}
