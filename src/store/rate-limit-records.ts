/** Rate-limit counters: the storage side of per-client, per-IP and per-token limits. */

export interface RateLimitRule {
  /** How many requests... */
  requests: number;
  /** ...per this many seconds; also the largest burst. */
  perSeconds: number;
}

export interface RateLimitOutcome {
  allowed: boolean;
  /** Requests still allowed right now (0 when refused). */
  remaining: number;
  /** Seconds until the full quota is back (the draft's `t`). */
  resetSeconds: number;
  /** Seconds until the next request would be allowed; 0 when allowed. */
  retryAfterSeconds: number;
}

/** What peek(..., then) also takes from. */
export interface RateLimitTake {
  key: string;
  rule: RateLimitRule;
}

/**
 * The token endpoint's two counters for a store step that counts them with
 * a write of its own (a rotation, the issuance's audit entry): `peek`
 * refused before anything counts, `take` taken only when the peek allows.
 */
export interface StepLimits {
  /** Peeked first: the address's failed authentications. */
  peek: RateLimitTake;
  /** Taken only when the peek allows: the client's allowance. */
  take: RateLimitTake;
  /** The clock the counters are read at: the rate limits', as on the usual way. */
  nowMs: number;
}

export interface PeekThenTake {
  /** What the peek saw. */
  peeked: RateLimitOutcome;
  /** The take's outcome; null when the peek refused and nothing was taken. */
  taken: RateLimitOutcome | null;
}

export interface RateLimiter {
  /** Takes one request from `key`'s allowance under `rule`, atomically; the key expires when its allowance is full again. */
  take(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome>;
  /** What take() would answer now, changing nothing (to refuse before doing work that would count). */
  peek(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome>;
  /**
   * The same peek and, only when it allows, take() from `then.key` in the
   * same atomic step: a check that must pass before a request counts
   * elsewhere (the address's failed authentications before the client's
   * allowance, at the token endpoint) costs one store command (one script
   * on one Redis; on a Cluster the keys are in different slots, so two
   * commands sent together). `taken` is null when the peek refused: then
   * nothing was taken.
   */
  peek(key: string, rule: RateLimitRule, nowMs: number, then: RateLimitTake): Promise<PeekThenTake>;
  /**
   * Gives back one request that take() allowed (a reservation that turned
   * out not to count, e.g. an authentication that succeeded), atomically;
   * the key goes when its allowance is full again.
   */
  refund(key: string, rule: RateLimitRule, nowMs: number): Promise<void>;
}

/** The TAT after giving back one request taken under `rule`; null when the allowance is then full (no key needed). */
export function gcraRefund(tatMs: number | null, rule: RateLimitRule, nowMs: number): number | null {
  if (tatMs === null) return null;
  const back = tatMs - (rule.perSeconds * 1000) / rule.requests;
  return back > nowMs ? back : null;
}

/**
 * GCRA (the generic cell rate algorithm) rather than a sliding window: the
 * whole state of a key is one number, the theoretical arrival time (TAT),
 * so a check is one read and one write of one small key in one atomic step,
 * memory is constant per key, and there is no window edge where twice the
 * quota gets through. The quota refills smoothly at requests/perSeconds and
 * at most `requests` may come in a burst.
 */
export function gcra(tatMs: number | null, rule: RateLimitRule, nowMs: number): { outcome: RateLimitOutcome; newTatMs: number | null } {
  const period = rule.perSeconds * 1000;
  const interval = period / rule.requests;
  const tat = Math.max(tatMs ?? nowMs, nowMs);
  const next = tat + interval;
  const allowAt = next - period;
  if (allowAt > nowMs) {
    return {
      outcome: { allowed: false, remaining: 0, resetSeconds: Math.ceil((tat - nowMs) / 1000), retryAfterSeconds: Math.ceil((allowAt - nowMs) / 1000) },
      newTatMs: null,
    };
  }
  return {
    outcome: { allowed: true, remaining: Math.floor((period - (next - nowMs)) / interval), resetSeconds: Math.ceil((next - nowMs) / 1000), retryAfterSeconds: 0 },
    newTatMs: next,
  };
}
