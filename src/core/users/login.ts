/**
 * Password login with brute-force protection. Attempts are counted per
 * username and per address in the store; past a threshold the login is
 * refused for a time that doubles with each further failure.
 *
 * Count before you check: each attempt is counted for the username and the
 * address in one atomic step *before* its password is checked, and given
 * back only if it succeeds, so N attempts sent at once count N and none gets
 * past the pause the earlier ones earned, a right password included.
 *
 * Unknown users and wrong passwords get the same error and take the same time
 * (every failure costs one scrypt at the current cost: password-hasher.ts).
 * A password stored at an older cost is rehashed after a successful login.
 * Usernames are counted by their hash, so a password typed as the username
 * is not kept in a store key.
 */
import type { Logger } from 'pino';
import type { AttemptRule, Store, UserRecord } from '../../store/store.js';
import type { PasswordHasher } from '../crypto/password-hasher.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { BusyError, TesseraError } from '../errors.js';

/** The one answer to every failed or refused login; it never says which part was wrong. */
export class LoginFailedError extends TesseraError {
  readonly code = 'access_denied';
  constructor(
    readonly retryAfterSeconds: number | null = null,
    /** The user the username names, if any: for the audit event only, never for the answer. */
    readonly userId: string | null = null,
  ) {
    super('the username or password is not right, or login is paused for a while');
  }
}

export interface LoginPolicy {
  /** Failures for one username allowed before a pause. */
  threshold: number;
  /** Failures from one IP allowed before a pause: higher, since many people may share an address (NAT). */
  ipThreshold: number;
  /** First pause; doubles per further failure. */
  basePauseMs: number;
  maxPauseMs: number;
  /** Failures are forgotten this long after the latest one. */
  windowMs: number;
}

export const DEFAULT_LOGIN_POLICY: LoginPolicy = { threshold: 5, ipThreshold: 50, basePauseMs: 1_000, maxPauseMs: 15 * 60_000, windowMs: 15 * 60_000 };

export interface LoginOptions {
  policy?: LoginPolicy;
  now?: () => number;
  /** Told when a rehash at the current cost fails. */
  logger?: Logger;
}

export class LoginService {
  readonly #byUser: AttemptRule;
  readonly #byAddress: AttemptRule;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    options: LoginOptions = {},
  ) {
    const { threshold, ipThreshold, ...pause } = options.policy ?? DEFAULT_LOGIN_POLICY;
    this.#byUser = { threshold, ...pause };
    this.#byAddress = { threshold: ipThreshold, ...pause };
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  async authenticate(username: string, password: string, ip: string): Promise<UserRecord> {
    const userKey = `user:${sha256Hex(username)}`;
    const ipKey = `ip:${ip}`;
    const now = this.#now();
    // Both counters and the user in one round trip (the store sends a turn's commands together).
    const [byAddress, byUser, user] = await Promise.all([
      this.store.loginAttempts.reserve(ipKey, now, this.#byAddress),
      this.store.loginAttempts.reserve(userKey, now, this.#byUser),
      this.store.users.getByUsername(username),
    ]);
    if (!byAddress.allowed || !byUser.allowed) {
      // Paused: nothing is checked, and the counter that did let it through takes it back.
      await Promise.all([
        byAddress.allowed ? this.store.loginAttempts.release(ipKey) : undefined,
        byUser.allowed ? this.store.loginAttempts.release(userKey) : undefined,
      ]);
      throw new LoginFailedError(Math.ceil(Math.max(byAddress.retryAfterMs, byUser.retryAfterMs) / 1000), user?.id ?? null);
    }
    let verdict;
    try {
      verdict = await this.hasher.verify(password, user?.password_hash ?? null);
    } catch (err) {
      // Refused for load before anything was checked: the attempt does not count.
      if (err instanceof BusyError) await Promise.all([this.store.loginAttempts.release(ipKey), this.store.loginAttempts.release(userKey)]);
      throw err;
    }
    // A failure keeps both counts.
    if (!user || !verdict.ok || user.disabled) throw new LoginFailedError(null, user?.id ?? null);
    await Promise.all([this.store.loginAttempts.reset(userKey), this.store.loginAttempts.release(ipKey)]);
    if (verdict.rehash) void this.#rehash(user, password);
    return user;
  }

  /** Stores the password at the current cost, after the answer: a failure only means another try at the next login. */
  async #rehash(user: UserRecord, password: string): Promise<void> {
    try {
      await this.store.users.replacePasswordHash(user.id, user.password_hash, await this.hasher.hash(password));
    } catch (err) {
      this.#logger?.warn({ err: err instanceof Error ? err.message : String(err), user: user.id }, 'could not rehash a password at the current cost');
    }
  }
}
