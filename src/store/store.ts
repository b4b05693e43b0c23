/**
 * The one storage interface of Tessera. Two implementations (Redis and
 * in-memory) pass the same contract suite (test/store/store-contract.ts).
 *
 * Record types of later features live beside this file (user-records.ts,
 * grant-records.ts).
 *
 * Records hold hashes, never secrets (fosite's rule: storage is keyed by
 * token hash). Times are epoch milliseconds unless a name says otherwise.
 */

import type { AttemptCounter, RoleRepository, UserRepository } from './user-records.js';
import type {
  AuthorizationCodeRepository, AuthorizationRequestRepository, RefreshTokenRepository,
} from './grant-records.js';
import type { ApiTokenRepository } from './api-token-records.js';
import type { AuditLog } from './audit-records.js';
import type { RateLimiter } from './rate-limit-records.js';
import type { UsageRepository } from './usage-records.js';
import type { WebhookRepository } from './webhook-records.js';
import type { EventCounters } from './counter-records.js';
import type { JobStateRepository } from './job-records.js';
import type { BaselineRepository } from './baseline-records.js';
import type { ReplayCache, ServerSecrets } from './replay-records.js';
import type { StoredJwks, TrustPolicyRepository } from './trust-policy-records.js';
import type { SigningKeyRepository } from './signing-key-records.js';

export type * from './user-records.js';
export type * from './grant-records.js';
export type * from './api-token-records.js';
export type * from './audit-records.js';
export type * from './rate-limit-records.js';
export type * from './usage-records.js';
export type * from './webhook-records.js';
export type * from './counter-records.js';
export type * from './job-records.js';
export type * from './baseline-records.js';
export type * from './replay-records.js';
export type * from './trust-policy-records.js';
export type * from './signing-key-records.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ClientRecord {
  client_id: string;
  name: string;
  public: boolean;
  /** `sha256:<hex>` for generated secrets, `scrypt:...` for chosen ones; null for public clients. */
  secret_hash: string | null;
  grant_types: string[];
  scopes: string[];
  /** Scopes granted when a request names none; null means all of `scopes`. */
  default_scopes: string[] | null;
  audiences: string[];
  redirect_uris: string[];
  /** Third-party clients get a consent step (RFC 6749 §10.2). */
  third_party: boolean;
  /** Issue a refresh token with every user grant, not only when `offline_access` is granted. Absent in older records: false. */
  always_issue_refresh_token?: boolean;
  /**
   * How it authenticates at the token, revocation and introspection
   * endpoints (RFC 7591 §2). Absent in older records: `none` for public
   * clients, else `client_secret_basic` (either secret method is accepted).
   */
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  /** private_key_jwt: its public keys inline (RFC 7591 §2), or null. */
  jwks?: StoredJwks | null;
  /** private_key_jwt: where its public keys are (RFC 7591 §2), or null. */
  jwks_uri?: string | null;
  /** RFC 9449 §5.2: every token request must carry a DPoP proof. Absent: false. */
  dpop_bound_access_tokens?: boolean;
  created_at: string;
  updated_at: string;
  secret_rotated_at: string | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as `cursor` for the next page. Null on the last page. */
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface ClientRepository {
  /** Creates the client unless its id is taken; false when it is. */
  create(client: ClientRecord): Promise<boolean>;
  /** Replaces an existing client; false when there is none (never resurrects a deleted one). */
  replace(client: ClientRecord): Promise<boolean>;
  get(clientId: string): Promise<ClientRecord | null>;
  /**
   * The record as the process holds it (a cache kept current across
   * instances), with no store command; undefined when it is not held or
   * the store has no such cache: then get() asks the store.
   */
  cached?(clientId: string): ClientRecord | null | undefined;
  /** Ordered by client_id; the cursor is exclusive. */
  list(page: PageRequest): Promise<Page<ClientRecord>>;
  delete(clientId: string): Promise<boolean>;
  /** Replaces the secret hash, and nothing else, if it is still `expected` (a rehash at a new cost). Atomic. */
  replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean>;
}

export interface RevocationList {
  /**
   * Per-user cut-off (epoch ms): every token issued to the user before it is
   * dead, without listing tokens one by one. Kept until the user is deleted.
   */
  setUserCutoff(userId: string, atMs: number): Promise<void>;
  deleteUserCutoff(userId: string): Promise<void>;
  /**
   * Whether `jti` (or any of `alsoIds`, e.g. the API token a JWT was
   * exchanged from) is revoked, and the user's cut-off, in one round trip
   * (the hot path of every check).
   */
  status(jti: string, userId: string | null, alsoIds?: readonly string[]): Promise<{ revoked: boolean; userCutoffMs: number | null }>;
  /**
   * Puts a token id on the list; `expiresAtMs` is the token's `exp`. The
   * entry is kept REVOCATION_MARGIN_MS longer (src/core/tokens/clock-tolerance.ts),
   * since a validator with clock tolerance still accepts the token that long
   * after its `exp`; then it expires, so the list never grows without bound.
   */
  add(jti: string, expiresAtMs: number): Promise<void>;
  has(jti: string): Promise<boolean>;
  /**
   * The revocation feed: every add() and setUserCutoff(), so that verifiers
   * without store access can follow revocations from a cursor. What one
   * instance appends comes in the order it appended it; nothing is skipped
   * by resuming from `last`, the (opaque) cursor to resume from. Entries
   * past `limit` set `more`. A cursor the store cannot read is an
   * InvalidRequestError.
   */
  feed(after: string | undefined, limit: number): Promise<{ entries: RevocationFeedEntry[]; last: string | null; more: boolean }>;
  /** Drops feed entries appended before `beforeMs` (they name tokens that have expired by now). */
  trimFeed(beforeMs: number): Promise<void>;
}

export interface RevocationFeedEntry {
  /** `<epoch ms>-<n>`, unique. */
  id: string;
  /** `token`: a revoked token id (a jti, or `api_token:<id>`); `cutoff`: every token of a user issued before `at`. */
  kind: 'token' | 'cutoff';
  ref: string;
  /** token: when the revoked token expires; cutoff: the cut-off. Epoch ms. */
  at: number;
}

export interface Store {
  readonly kind: 'memory' | 'redis';
  readonly clients: ClientRepository;
  readonly revocations: RevocationList;
  readonly users: UserRepository;
  readonly roles: RoleRepository;
  readonly loginAttempts: AttemptCounter;
  readonly authorizationRequests: AuthorizationRequestRepository;
  readonly authorizationCodes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly apiTokens: ApiTokenRepository;
  readonly audit: AuditLog;
  readonly rateLimits: RateLimiter;
  readonly usage: UsageRepository;
  readonly webhooks: WebhookRepository;
  readonly counters: EventCounters;
  readonly jobs: JobStateRepository;
  readonly baselines: BaselineRepository;
  /** Used `jti`s of client assertions, federated tokens and DPoP proofs. */
  readonly replay: ReplayCache;
  readonly secrets: ServerSecrets;
  readonly trustPolicies: TrustPolicyRepository;
  /** Signing keys, sealed, when TESSERA_KEYS_STORAGE=store. */
  readonly signingKeys: SigningKeyRepository;
  /** Throws StoreUnavailableError when the backend cannot be reached. */
  ping(): Promise<void>;
  /**
   * The backend's eviction policy (Redis `maxmemory-policy`); null for a
   * store that never evicts (memory) or one that will not tell.
   */
  evictionPolicy(): Promise<string | null>;
  close(): Promise<void>;
}
