/**
 * Password login with brute-force protection. Failures are counted per
 * username and per IP in the store; past a threshold the login is refused
 * for a time that doubles with each further failure. Unknown users and wrong
 * passwords get the same error and take the same time (every failure costs
 * one scrypt at the current cost: password-hasher.ts).
 */
import type { Store, UserRecord } from '../../store/store.js';
import type { PasswordHasher } from '../crypto/password-hasher.js';
import { TesseraError } from '../errors.js';

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

function pauseFor(count: number, threshold: number, policy: LoginPolicy): number {
  if (count < threshold) return 0;
  return Math.min(policy.maxPauseMs, policy.basePauseMs * 2 ** Math.min(30, count - threshold));
}

export class LoginService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the login stays paused for this username or IP, 0 when open. */
  private async pausedFor(username: string, ip: string): Promise<number> {
    const [byUser, byIp] = await Promise.all([
      this.store.loginAttempts.get(`user:${username}`),
      this.store.loginAttempts.get(`ip:${ip}`),
    ]);
    const now = this.now();
    const left = (w: { count: number; lastAt: number | null }, threshold: number) =>
      w.lastAt === null ? 0 : w.lastAt + pauseFor(w.count, threshold, this.policy) - now;
    return Math.max(0, left(byUser, this.policy.threshold), left(byIp, this.policy.ipThreshold));
  }

  async authenticate(username: string, password: string, ip: string): Promise<UserRecord> {
    const paused = await this.pausedFor(username, ip);
    if (paused > 0) throw new LoginFailedError(Math.ceil(paused / 1000));
    const user = await this.store.users.getByUsername(username);
    const { ok } = await this.hasher.verify(password, user?.password_hash ?? null);
    if (!user || !ok || user.disabled) {
      const now = this.now();
      await Promise.all([
        this.store.loginAttempts.hit(`user:${username}`, now, this.policy.windowMs),
        this.store.loginAttempts.hit(`ip:${ip}`, now, this.policy.windowMs),
      ]);
      throw new LoginFailedError(null, user?.id ?? null);
    }
    await this.store.loginAttempts.reset(`user:${username}`);
    return user;
  }
}
