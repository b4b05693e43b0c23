/**
 * Rate-limit policies (draft-ietf-httpapi-ratelimit-headers names them):
 * `client` — token requests per client; `auth_failures` — failed client
 * authentications per IP, counted before credentials are checked so that
 * neither a right guess after too many wrong ones nor a burst of parallel
 * guesses gets past the allowance (src/core/clients/client-authenticator.ts); `api_token` —
 * uses of an API token (its own limit or the default). Every limit applied
 * to a request is kept on its request context, so the HTTP layer can send
 * RateLimit-Policy / RateLimit on every answer, 429s included.
 */
import type { PeekThenTake, RateLimitOutcome, RateLimitRule, RotationLimits, Store } from '../store/store.js';
import { requestContext, type AuditSink } from './audit.js';
import { RateLimitedError } from './errors.js';

export type PolicyName = 'client' | 'auth_failures' | 'api_token';

export interface AppliedLimit {
  policy: PolicyName;
  rule: RateLimitRule;
  outcome: RateLimitOutcome;
}

export interface RateLimitPolicies {
  client: RateLimitRule;
  authFailures: RateLimitRule;
  apiToken: RateLimitRule;
}

/** A take already sent to the store (RateLimits.begin). */
export interface PendingTake {
  /** Waits for the outcome and applies it: throws RateLimitedError (429) when refused. */
  settle(): Promise<void>;
  /** Gives the request back (when it was allowed); never throws for the take's own failure. */
  cancel(): Promise<void>;
}

export class RateLimits {
  constructor(
    private readonly store: Store,
    readonly policies: RateLimitPolicies,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key` under the policy; throws RateLimitedError (429) when refused. */
  async take(policy: PolicyName, key: string, rule: RateLimitRule, subject: string | null = null): Promise<void> {
    this.settle({ policy, rule, outcome: await this.store.rateLimits.take(`${policy}:${key}`, rule, this.now()) }, subject);
  }

  /**
   * Starts taking one request from `key` now, without waiting: the store
   * command leaves in this tick, so it shares a round trip with the other
   * commands the caller issues before its next await (the client read and
   * the failure-counter check at the token endpoint; the store's connection
   * sends the commands of one turn together). `settle` applies the outcome
   * (429 when refused); `cancel` gives the request back when it turns out
   * not to count (the caller failed to authenticate, so it was not the
   * client's request).
   */
  begin(policy: PolicyName, key: string, rule: RateLimitRule, subject: string | null = null): PendingTake {
    const taking = this.store.rateLimits.take(`${policy}:${key}`, rule, this.now());
    // Settled (or cancelled) by the caller; never an unhandled rejection meanwhile.
    taking.catch(() => undefined);
    return {
      settle: async () => this.settle({ policy, rule, outcome: await taking }, subject),
      cancel: async () => {
        const outcome = await taking.catch(() => null);
        if (outcome?.allowed) await this.store.rateLimits.refund(`${policy}:${key}`, rule, this.now());
      },
    };
  }

  /**
   * check() of `guard` and, only when it passes, begin() in the same store
   * command (RateLimiter.peek with a take): at the token endpoint the
   * address's failed-authentication count and the client's allowance are
   * one command. `checked` settles like check() (RateLimitedError when the
   * guard is over its limit, and then nothing was taken); `take` like
   * begin()'s.
   */
  beginChecked(
    guard: { policy: PolicyName; key: string; rule: RateLimitRule },
    policy: PolicyName, key: string, rule: RateLimitRule, subject: string | null = null,
  ): { checked: Promise<void>; take: PendingTake } {
    const now = this.now();
    const both = this.store.rateLimits.peek(`${guard.policy}:${guard.key}`, guard.rule, now, { key: `${policy}:${key}`, rule });
    const checked = both.then(({ peeked }) => {
      if (!peeked.allowed) this.settle({ policy: guard.policy, rule: guard.rule, outcome: peeked }, null);
    });
    // Settled (or cancelled) by the caller; never an unhandled rejection meanwhile.
    checked.catch(() => undefined);
    return {
      checked,
      take: {
        settle: async () => {
          const { taken } = await both;
          // Not taken: the guard refused, and `checked` says so.
          if (taken === null) return checked;
          this.settle({ policy, rule, outcome: taken }, subject);
        },
        cancel: async () => {
          const outcome = await both.then(({ taken }) => taken, () => null);
          if (outcome?.allowed) await this.store.rateLimits.refund(`${policy}:${key}`, rule, this.now());
        },
      },
    };
  }

  /**
   * beginChecked()'s two counters for a store step that counts them itself,
   * with the grant's own write (GrantHandler.handleLimited), and `settle`,
   * which applies what that step found as beginChecked() would: the guard's
   * refusal first, then the allowance taken.
   */
  checkedInStep(
    guard: { policy: PolicyName; key: string; rule: RateLimitRule },
    policy: PolicyName, key: string, rule: RateLimitRule, subject: string | null = null,
  ): { limits: RotationLimits; settle: (outcome: PeekThenTake) => void } {
    return {
      // This clock, not the grant's: the counters must read the same windows as take() and beginChecked() do.
      limits: { peek: { key: `${guard.policy}:${guard.key}`, rule: guard.rule }, take: { key: `${policy}:${key}`, rule }, nowMs: this.now() },
      settle: ({ peeked, taken }) => {
        if (!peeked.allowed) this.settle({ policy: guard.policy, rule: guard.rule, outcome: peeked }, null);
        if (taken) this.settle({ policy, rule, outcome: taken }, subject);
      },
    };
  }

  /** Refuses now if `key` is already over the limit, without counting this request. */
  check(policy: PolicyName, key: string, rule: RateLimitRule): Promise<void> {
    // A `then`, not an async function: every client authentication checks its address's count.
    let peeked: Promise<RateLimitOutcome>;
    try {
      peeked = this.store.rateLimits.peek(`${policy}:${key}`, rule, this.now());
    } catch (err) {
      return Promise.reject(err);
    }
    return peeked.then((outcome) => {
      if (!outcome.allowed) this.settle({ policy, rule, outcome }, null);
    });
  }

  /**
   * Counts one attempt against `key` before the work it limits is done
   * (count, then check): past the allowance it throws RateLimitedError;
   * otherwise it returns `release`, which gives the attempt back when it
   * turns out not to count (an authentication that succeeded). N attempts
   * in parallel take N, so none of them gets past a spent allowance.
   */
  async reserve(policy: PolicyName, key: string, rule: RateLimitRule): Promise<() => Promise<void>> {
    const outcome = await this.store.rateLimits.take(`${policy}:${key}`, rule, this.now());
    if (!outcome.allowed) this.settle({ policy, rule, outcome }, null);
    return () => this.store.rateLimits.refund(`${policy}:${key}`, rule, this.now());
  }

  private settle(applied: AppliedLimit, subject: string | null): void {
    const ctx = requestContext.getStore();
    if (ctx) (ctx.limits ??= []).push(applied);
    if (applied.outcome.allowed) return;
    this.audit.record({ type: 'rate_limit.hit', subject, detail: { policy: applied.policy, requests: applied.rule.requests, per_seconds: applied.rule.perSeconds } });
    throw new RateLimitedError(`the ${applied.policy} rate limit is reached; retry after ${applied.outcome.retryAfterSeconds} s`, applied.outcome.retryAfterSeconds);
  }
}
