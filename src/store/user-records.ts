/** Users, roles and login-attempt counters: the storage side of issue "users and login". */
import type { Page, PageRequest } from './store.js';

export interface UserRecord {
  /** Opaque and stable (`usr_...`); never reused. */
  id: string;
  /** Unique, case-sensitive. */
  username: string;
  /** `scrypt:...` (src/core/crypto/secret-hash.ts); never the password. */
  password_hash: string;
  roles: string[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
  /** When `revoke-tokens` (or disabling) last cut off the user's tokens, RFC 3339; null if never. */
  tokens_revoked_at: string | null;
}

export interface UserRepository {
  /** Creates the user unless its id or username is taken; of two creates racing for one username exactly one wins. */
  create(user: UserRecord): Promise<'created' | 'id_taken' | 'username_taken'>;
  /** Replaces an existing user; a changed username moves its unique index entry (refused when another user has the name). */
  replace(user: UserRecord): Promise<'replaced' | 'missing' | 'username_taken'>;
  get(id: string): Promise<UserRecord | null>;
  /**
   * The record as the process holds it (a cache kept current across
   * instances), with no store command and no promise; undefined when it is
   * not held or the store has no such cache: then get() asks the store.
   */
  cached?(id: string): UserRecord | undefined;
  getByUsername(username: string): Promise<UserRecord | null>;
  /** Ordered by id; the cursor is exclusive (same cursor format as clients). */
  list(page: PageRequest): Promise<Page<UserRecord>>;
  /** Deletes the user and frees the username. */
  delete(id: string): Promise<boolean>;
  /**
   * Replaces the password hash, and nothing else, if it is still `expected`
   * (a rehash at a new cost after a successful login must not undo a
   * password change or any other update made meanwhile). Atomic.
   */
  replacePasswordHash(id: string, expected: string, next: string): Promise<boolean>;
}

export interface RoleRecord {
  name: string;
  scopes: string[];
  created_at: string;
  updated_at: string;
}

export interface RoleRepository {
  /** Creates or replaces (created_at of an existing role is kept by the caller). */
  put(role: RoleRecord): Promise<'created' | 'updated'>;
  get(name: string): Promise<RoleRecord | null>;
  /** The roles that exist among `names` (one round trip), in the order given. */
  getMany(names: readonly string[]): Promise<RoleRecord[]>;
  /**
   * getMany() as the process holds the roles (see UserRepository.cached),
   * with no store command and no promise; undefined unless every one of
   * `names` is held (a role that does not exist never is): then getMany().
   */
  cachedMany?(names: readonly string[]): RoleRecord[] | undefined;
  /** All roles ordered by name (roles are few). */
  list(): Promise<RoleRecord[]>;
  delete(name: string): Promise<boolean>;
}

export interface AttemptWindow {
  /** Failures counted in the current window. */
  count: number;
  /** Epoch ms of the latest failure, null when none. */
  lastAt: number | null;
}

/** When a counted attempt may be made: free up to `threshold` attempts, then a pause after the latest that doubles with each further one. */
export interface AttemptRule {
  threshold: number;
  basePauseMs: number;
  maxPauseMs: number;
  /** The counter (and key) expires this long after the latest attempt. */
  windowMs: number;
}

/** How long an attempt must wait under `rule` after `count` attempts, the latest at `lastAt`. */
export function attemptPause(window: AttemptWindow, rule: AttemptRule): number {
  if (window.count < rule.threshold || window.lastAt === null) return 0;
  return Math.min(rule.maxPauseMs, rule.basePauseMs * 2 ** Math.min(30, window.count - rule.threshold));
}

/** Failed-login counters, keyed by what is counted (e.g. `user:<hash>`, `ip:203.0.113.5`); they expire on their own. */
export interface AttemptCounter {
  /** Adds a failure at `nowMs`; the window (and key) expires `windowMs` after the latest failure. Atomic. */
  hit(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow>;
  /**
   * Counts an attempt before it is checked, in one atomic step: when `rule`
   * lets an attempt be made now, counts it (as hit() does) and answers
   * `{allowed: true}`; otherwise changes nothing and answers how long to wait.
   * N attempts at once count N, so none gets past a pause the others earned.
   */
  reserve(key: string, nowMs: number, rule: AttemptRule): Promise<{ allowed: boolean; retryAfterMs: number }>;
  /** Takes back one attempt reserve() counted (it was not a failure); the latest time stays. */
  release(key: string): Promise<void>;
  get(key: string): Promise<AttemptWindow>;
  reset(key: string): Promise<void>;
}
