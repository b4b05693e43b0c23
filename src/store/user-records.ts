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
  /** Creates the user unless its id or username is taken; both checks and writes are one atomic step. */
  create(user: UserRecord): Promise<'created' | 'id_taken' | 'username_taken'>;
  /** Replaces an existing user; a changed username moves its unique index entry atomically. */
  replace(user: UserRecord): Promise<'replaced' | 'missing' | 'username_taken'>;
  get(id: string): Promise<UserRecord | null>;
  getByUsername(username: string): Promise<UserRecord | null>;
  /** Ordered by id; the cursor is exclusive (same cursor format as clients). */
  list(page: PageRequest): Promise<Page<UserRecord>>;
  /** Deletes the user and frees the username. */
  delete(id: string): Promise<boolean>;
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

/** Failed-login counters, keyed by what is counted (e.g. `user:alice`, `ip:203.0.113.5`); they expire on their own. */
export interface AttemptCounter {
  /** Adds a failure at `nowMs`; the window (and key) expires `windowMs` after the latest failure. Atomic. */
  hit(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow>;
  get(key: string): Promise<AttemptWindow>;
  reset(key: string): Promise<void>;
}
