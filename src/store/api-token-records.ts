/**
 * API tokens (personal access tokens, `tsp_`): the storage side. Records
 * are keyed by an id that is not secret; the secret is found through an
 * index keyed by its SHA-256 hash (fosite's rule), so the store never holds
 * anything a thief could present.
 */
import type { Page, PageRequest } from './store.js';

/**
 * Who did something: an admin client, a user (self-service), nobody known
 * (a leak report), or Tessera itself acting on a policy (`system`, with the
 * policy as id: `key-rotation`, `unused-tokens`, `suspicious-use`).
 */
export interface Actor {
  type: 'client' | 'user' | 'anonymous' | 'system';
  id: string | null;
}

export interface ApiTokenRateLimit {
  requests: number;
  per_seconds: number;
}

export interface ApiTokenRecord {
  /** `tok_...`; not secret, shown in lists and audit events. */
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  scopes: string[];
  /** SHA-256 hex of the current secret. */
  secret_hash: string;
  /** SHA-256 hex of the secret before the last rotation, valid until `previous_expires_at`. */
  previous_secret_hash: string | null;
  /** Epoch ms; null when there is no grace period running. */
  previous_expires_at: number | null;
  /** Epoch ms. */
  expires_at: number;
  /** CIDRs (IPv4 or IPv6) the token may be used from; null means anywhere. */
  allowed_ips: string[] | null;
  rate_limit: ApiTokenRateLimit | null;
  created_at: number;
  created_by: Actor;
  last_used_at: number | null;
  last_used_ip: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  revoked_by: Actor | null;
  revocation_reason: string | null;
  /** Epoch ms when the suspicious-use policy paused it; null (or absent in older records) when not paused. */
  paused_at?: number | null;
  pause_reason?: string | null;
  /** Epoch ms when the record is dropped: its end (expiry or revocation) plus the retention period. */
  purge_at: number;
  /** Bumped by every change but `touch`; changes are compare-and-set on it. */
  version: number;
  /**
   * The API token this one was created through (its creator presented a JWT
   * exchanged from that token); null or absent (older records) when created
   * by other means. Revoking the parent revokes it.
   */
  parent_id?: string | null;
}

export interface ApiTokenRepository {
  /**
   * Stores a new token and indexes its secret hash (and, with `parent_id`,
   * lists it among its parent's children, in the same step); false when the
   * id or hash is taken. Secret hashes stay indexed until the record is purged, so
   * a refused use of a revoked, expired or superseded secret still names its
   * token in the audit log; whether a secret works is the service's call.
   */
  create(token: ApiTokenRecord, nowMs: number): Promise<boolean>;
  get(id: string): Promise<ApiTokenRecord | null>;
  /** The token whose current or previous secret has this hash; null when none (or purged). */
  findByHash(secretHash: string): Promise<ApiTokenRecord | null>;
  /**
   * Replaces the record if its stored `version` is still `expectedVersion`
   * (the new record carries the next version), re-indexing its current and
   * previous secret hashes until `purge_at` and dropping any other hash the
   * old record had. 'conflict' when someone changed it meanwhile, 'missing'
   * when it is gone.
   */
  update(next: ApiTokenRecord, expectedVersion: number): Promise<'updated' | 'conflict' | 'missing'>;
  /** Records a use; never resurrects a purged record, never conflicts with update(). */
  touch(id: string, atMs: number, ip: string): Promise<void>;
  /** Ordered by id; with `userId`, that user's tokens only. Same cursor format as the other lists. */
  list(filter: { userId?: string | undefined }, page: PageRequest): Promise<Page<ApiTokenRecord>>;
  /** Ids of the tokens created through `parentId` (see `parent_id`), kept while the parent can still be revoked. */
  children(parentId: string): Promise<string[]>;
  /**
   * How many tokens not revoked expire after `nowMs` and at or before
   * `untilMs` (the expiring-soon gauge of /metrics). An index lookup in
   * Redis, never a scan of every token.
   */
  countExpiring(nowMs: number, untilMs: number): Promise<number>;
  /**
   * An overview at `nowMs`: tokens active (not revoked, not expired); of
   * those, the ones expiring at or before `expiringUntilMs`, and the ones
   * neither used nor created since `unusedSinceMs`. A pass over the active
   * tokens (in Redis their expiry index and two short fields of each, in
   * pipelined batches), so its cost grows with their number.
   */
  census(nowMs: number, expiringUntilMs: number, unusedSinceMs: number): Promise<ApiTokenCensus>;
  /**
   * Tokens not revoked that expire after `afterMs` and at or before
   * `untilMs`, by expiry then id, from the expiry index (never a scan). At
   * least `limit` when there are that many, plus every token sharing the
   * last one's expiry, so that `next` (that expiry; null when nothing more
   * is in the range) resumes exactly where this page ended.
   */
  expiringBetween(afterMs: number, untilMs: number, limit: number): Promise<{ items: ApiTokenRecord[]; next: number | null }>;
}

export interface ApiTokenCensus {
  active: number;
  expiring: number;
  unused: number;
}
