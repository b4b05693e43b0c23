/**
 * Authorization requests in progress, authorization codes and refresh-token
 * families: the storage side of the authorization code and refresh grants.
 * Everything is keyed by a SHA-256 hash of the secret (fosite's rule), and
 * everything expires.
 */
import type { PeekThenTake, StepLimits } from './rate-limit-records.js';

/** A pending GET /oauth/authorize (RFC 6749 §4.1.1) between the login page and the code. */
export interface AuthorizationRequestRecord {
  id: string;
  client_id: string;
  redirect_uri: string;
  scopes: string[];
  state: string | null;
  /** RFC 7636 S256 challenge. */
  code_challenge: string;
  /** SHA-256 hex of the CSRF token the login/consent forms carry. */
  csrf_hash: string;
  /** Set once the user has logged in. */
  user_id: string | null;
  /** Epoch seconds of the login, once logged in. */
  auth_time: number | null;
  expires_at: number;
}

export interface AuthorizationRequestRepository {
  /** Creates or replaces; expires at `expires_at` (epoch ms). */
  put(request: AuthorizationRequestRecord): Promise<void>;
  get(id: string): Promise<AuthorizationRequestRecord | null>;
  delete(id: string): Promise<void>;
}

export interface AuthorizationCodeRecord {
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  user_id: string;
  scopes: string[];
  code_challenge: string;
  auth_time: number;
  /** Epoch ms; codes live 60 s. */
  expires_at: number;
}

/** What was issued from a code, so that a replay of the code revokes it (RFC 6749 §4.1.2, §10.5). */
export interface CodeIssuance {
  access_token_jti: string;
  /** Epoch ms. */
  access_token_expires_at: number;
  refresh_family_id: string | null;
}

export type CodeConsumption =
  | { status: 'consumed'; code: AuthorizationCodeRecord }
  | { status: 'replayed'; issued: CodeIssuance | null }
  | { status: 'unknown' };

export interface AuthorizationCodeRepository {
  /** Stores a new code until its expiry. */
  save(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * Takes the code in one atomic step: the first call gets it and leaves a
   * "used" marker (kept `replayWindowMs`); later calls get `replayed` with
   * what was issued from it, so the caller can revoke that.
   */
  consume(codeHash: string, nowMs: number, replayWindowMs: number): Promise<CodeConsumption>;
  /** Records what the code's token request issued (on the used marker). */
  recordIssuance(codeHash: string, issued: CodeIssuance): Promise<void>;
}

export interface RefreshFamilyRecord {
  family_id: string;
  client_id: string;
  user_id: string;
  /** What the grant allowed; refreshes may narrow, never widen. */
  scopes: string[];
  auth_time: number;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms: the absolute end of the family (TESSERA_REFRESH_TOKEN_TTL after its start). */
  expires_at: number;
  /**
   * RFC 9449 §5: a public client's family started with a DPoP proof is bound
   * to that key (its RFC 7638 thumbprint); every refresh must prove it.
   * Absent when unbound.
   */
  jkt?: string;
}

export interface RefreshTokenRecord {
  token_hash: string;
  family_id: string;
  /** Scopes this token grants (a subset of the family's). */
  scopes: string[];
  created_at: number;
}

/** A live family as a list of a user's sessions shows it. */
export interface RefreshSession {
  family: RefreshFamilyRecord;
  /** Epoch ms of the latest rotation; null while the family's first token is still the live one. */
  last_refreshed_at: number | null;
}

/** An access token issued from a family, revoked with it. */
export interface FamilyAccessToken {
  jti: string;
  /** Epoch ms. */
  expires_at: number;
}

export type RotationOutcome =
  /**
   * The token was live: it is now consumed and `successor` is the family's
   * live token. `scopes`: the successor's, when the store chose them
   * (`checks`).
   */
  | { outcome: 'rotated'; family: RefreshFamilyRecord; scopes?: string[] }
  /** Already consumed, but within the grace window, by the same client, and its successor not used yet: what was kept to hand the successor back again. */
  | { outcome: 'grace'; family: RefreshFamilyRecord; successor_sealed: string }
  /** Not the live token (consumed past the grace window, or never the live one): the whole family was revoked in the same step. */
  | { outcome: 'reuse'; family: RefreshFamilyRecord; access_tokens: FamilyAccessToken[] }
  /** Presented by a client other than the family's: nothing changed. */
  | { outcome: 'wrong_client' }
  /** Its family unknown, revoked or ended. */
  | { outcome: 'invalid' }
  /** `checks`: the live token's family is bound to a DPoP key the request did not prove (RFC 9449 §5); nothing changed. */
  | { outcome: 'key_bound' }
  /** `checks`: a scope asked was not in the family's grant (RFC 6749 §6); nothing changed. */
  | { outcome: 'scope_outside'; family: RefreshFamilyRecord };

/** What the store checks itself before it consumes a live token, when the caller has not read the family first. */
export interface RotationChecks {
  /** The scopes the request asked (RFC 6749 §6: within the family's grant), or null: the live token's. They become the successor's. */
  asked: readonly string[] | null;
  /** The thumbprint of the key the request proved (RFC 9449 §5), or null: the family must not be bound to one. */
  jkt: string | null;
}

export interface RotateArgs {
  familyId: string;
  tokenHash: string;
  clientId: string;
  successor: RefreshTokenRecord;
  /** What gives the successor back to the presented token's holder within the grace window, opaque to the store (core/tokens/refresh-successor.ts); '' without a grace window. */
  successorSealed: string;
  nowMs: number;
  graceMs: number;
  accessToken?: FamilyAccessToken | null;
  known?: RefreshFamilyRecord | null;
  /** Present: the store checks the key binding and the scope asked, and chooses the successor's scopes (successor.scopes is ignored). */
  checks?: RotationChecks | null;
}

/** The rate limits a rotation runs within (RefreshTokenRepository.rotateLimited). */
export type RotationLimits = StepLimits;

/**
 * Refresh-token families. A token is found through its family: the token
 * carries the family's id (derived from a secret part that every token of
 * the family shares, tokens/refresh-tokens.ts), and the family holds the
 * hash of its one live token. Any other token of a known family (one that
 * was rotated away, or made by someone holding the family's secret part)
 * is reuse, detected for the family's whole life without keeping a record
 * per consumed token.
 */
export interface RefreshTokenRepository {
  /** Starts a family with its first token as the live one; everything expires at the family's end. */
  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void>;
  /** The live token `tokenHash` of family `familyId` and the family, for introspection and checks before rotation; null when not live. */
  get(familyId: string, tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null>;
  /**
   * The one atomic step of the refresh_token grant (RFC 9700 §4.14.2), on
   * the family `familyId`. When `tokenHash` is its live token: `successor`
   * becomes the live token, `successorSealed` (what gives the successor
   * back to the holder of the presented token, and to no one else) is kept for
   * `graceMs`, and `accessToken` (the access token about to be issued with
   * the successor) is remembered on the family: `rotated`. Otherwise
   * `grace` (the token rotated within `graceMs` and its successor still
   * live: the same sealed successor, and `accessToken` remembered too) or
   * `reuse`, which revokes the family in the same step. `known`: the
   * family as the caller read it just before (get()); a family's fields
   * other than its live token never change, so on `rotated` the store may
   * answer with it instead of reading them back (ignored when it is not
   * family `familyId`). `checks`: what the caller did not check because it
   * did not read the family (RotationChecks); `key_bound` and
   * `scope_outside` change nothing.
   */
  rotate(args: RotateArgs): Promise<RotationOutcome>;
  /**
   * rate-limit peek-then-take (RateLimiter.peek with `then`) and, only when
   * both allow, rotate(): one atomic store step, so that the commonest
   * refresh (a client whose record the process holds, proved by a
   * generated secret) costs one store command. Absent where the counters
   * and the family cannot be one step (a Redis Cluster: different slots).
   * `rotation` is null when a limit refused: then nothing was rotated.
   */
  rotateLimited?(limits: RotationLimits, args: RotateArgs): Promise<{ limits: PeekThenTake; rotation: RotationOutcome | null }>;
  /** Revokes a family: its live token stops working; returns its access tokens (to put on the revocation list), or null when unknown. */
  revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null>;
  /**
   * Remembers an access token issued from the family (bounded: the newest 50
   * are kept). False, and nothing kept, when the family is unknown, ended or
   * revoked: a reuse elsewhere revoked it after this grant's rotation, and the
   * token must not be handed out, since the revocation did not list it.
   */
  addAccessToken(familyId: string, token: FamilyAccessToken): Promise<boolean>;
  /**
   * The user's live families (not revoked, not ended), newest first, at most
   * `limit`: the sessions a person can see and end one by one. Families are
   * indexed per user when they start; the index forgets ended ones itself.
   */
  listFamilies(userId: string, nowMs: number, limit: number): Promise<RefreshSession[]>;
  /** One live family; null when unknown, revoked or ended. */
  getFamily(familyId: string, nowMs: number): Promise<RefreshSession | null>;
}
