/**
 * What `requireToken()` takes, and the defaults that fill it in. Only types
 * come from ioredis: the caller passes its own client (the verifier never
 * opens a connection of its own, so it never decides how Redis is reached).
 */
import type { Cluster, Redis } from 'ioredis';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '../core/tokens/clock-tolerance.js';

/** The caller's ioredis client: one server, a Sentinel-managed primary (`new Redis({sentinels, name})`) or a `Cluster`. */
export type TesseraRedis = Redis | Cluster;

/** A rate-limit rule: `requests` per `perSeconds`, which is also the largest burst (GCRA). */
export interface RateLimitRule {
  requests: number;
  perSeconds: number;
}

/** Read Tessera's revocation list straight from its Redis: revoked at once. */
export interface RedisRevocationOptions {
  redis: TesseraRedis;
  /** Tessera's `TESSERA_REDIS_PREFIX`. Default `tessera:`. */
  prefix?: string;
}

/** Poll Tessera's signed revocation feed (`GET /oauth/revocations`): revoked within one poll interval. */
export interface FeedRevocationOptions {
  feed: true;
  /** Default 5000. A revoked token is refused at most this long after its revocation. */
  pollIntervalMs?: number;
  /** Default `${issuer}/oauth/revocations`. */
  feedUrl?: string;
  /**
   * Past this long without a successful poll the verifier can no longer keep
   * its promise, so it answers 503 rather than accept possibly revoked tokens.
   * Default max(60000, 10 × pollIntervalMs); `Infinity` keeps accepting.
   */
  maxStaleMs?: number;
  /** Per poll request. Default 5000. */
  timeoutMs?: number;
}

export interface IntrospectionOptions {
  /** Default `${issuer}/oauth/introspect`. */
  url?: string;
  /** A confidential client of Tessera (any client may introspect). */
  clientId: string;
  clientSecret: string;
  /** How long an answer is reused. Default 10000. */
  cacheMs?: number;
  /** Per request. Default 5000. */
  timeoutMs?: number;
  /** Most answers kept at once. Default 10000. */
  cacheSize?: number;
}

/** Count the routes each accepted access token is used on, in Tessera's Redis (its per-token usage). */
export interface UsageOptions {
  redis: TesseraRedis;
  /** Tessera's `TESSERA_REDIS_PREFIX`. Default `tessera:`. */
  prefix?: string;
  /**
   * Uses are counted in memory and written this often, ms (one script per
   * token per write; `close()` writes what waits). Default 1000: counts in
   * Tessera lag by up to this long.
   */
  flushIntervalMs?: number;
}

export interface RateLimitOptions {
  redis: TesseraRedis;
  /** Tessera's `TESSERA_REDIS_PREFIX`, so counters are the server's own. Default `tessera:`. */
  prefix?: string;
  /** For API tokens without a `rate_limit`, and access tokens of clients not in `perClient`. */
  defaultRule?: RateLimitRule;
  /** Per access token, by the token's `client_id`. */
  perClient?: Record<string, RateLimitRule>;
}

/**
 * RFC 9449 DPoP. DPoP-bound tokens (`cnf.jkt`) are always checked: they are
 * accepted only with `Authorization: DPoP` and a proof of their key. These
 * options tune how.
 */
export interface DpopOptions {
  /** Accept DPoP-bound tokens only (bearer tokens and API tokens are refused). Default false. */
  required?: boolean;
  /** How far a proof's `iat` may be from now, either way, seconds. Default 60. */
  iatWindowSeconds?: number;
  /**
   * Remember proofs' `jti` in this Redis (Tessera's, or any), so a proof
   * replayed to another instance is refused too. Default: in this process only.
   */
  replay?: { redis: TesseraRedis; prefix?: string };
  /**
   * This resource's origin as clients address it (`https://api.example.com`),
   * for the proof's `htu`. Default: from the request (`req.protocol` and
   * `Host`; behind a proxy set Express's `trust proxy`, or this).
   */
  origin?: string;
  /** RFC 9449 §9 nonces: a secret (32+ characters) shared by this resource's instances. */
  nonceSecret?: string;
  /** With `nonceSecret`: refuse proofs without a valid nonce. Default true. */
  requireNonce?: boolean;
}

export interface VerifierOptions {
  /** Tessera's issuer (`TESSERA_ISSUER`), exactly as in the tokens' `iss`. */
  issuer: string;
  /** This resource server's name(s): the token's `aud` must contain one (RFC 9068 §4). */
  audience: string | string[];
  /** Every one of these is needed (RFC 6750 §3.1 insufficient_scope otherwise). */
  scopes?: string[];
  /** The `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). Default `api`. */
  realm?: string;
  /** Default `${issuer}/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Least time between two JWKS fetches caused by an unknown `kid`. Default 30000. */
  jwksCooldownMs?: number;
  /**
   * Allowed clock difference for `exp`, `nbf` and `iat`, seconds. Default 30,
   * at most 300: Tessera keeps revocations 300 s past a token's `exp`, so a
   * larger tolerance would let a revoked token back in.
   */
  clockToleranceSeconds?: number;
  /** Where revocations come from. Without it a JWT is good until its `exp`. */
  revocations?: RedisRevocationOptions | FeedRevocationOptions;
  /** Needed to accept API tokens (`tsp_...`). */
  introspection?: IntrospectionOptions;
  rateLimit?: RateLimitOptions;
  /** Count accepted access tokens per route in Tessera's Redis (GET /admin/v1/... usage, and the store's usage records). */
  usage?: UsageOptions;
  /** DPoP (RFC 9449) settings; bound tokens are checked with or without them. */
  dpop?: DpopOptions;
  /** Told about failures the client cannot see (feed polls, Redis, introspection). */
  onError?: (err: unknown) => void;
}

export const DEFAULT_PREFIX = 'tessera:';
export const DEFAULT_REALM = 'api';

/** The issuer with no trailing slash, so `${base}/path` names one URL. */
export function issuerBase(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

export function isFeed(r: VerifierOptions['revocations']): r is FeedRevocationOptions {
  return r !== undefined && 'feed' in r && r.feed === true;
}

/** Fails at start-up, not at the first request, on options that cannot work. */
export function checkOptions(o: VerifierOptions): void {
  if (typeof o.issuer !== 'string' || !URL.canParse(o.issuer)) throw new TypeError('requireToken: issuer must be an absolute URL');
  const audiences = Array.isArray(o.audience) ? o.audience : [o.audience];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new TypeError('requireToken: audience must be a non-empty string or array of strings (RFC 9068 §4 requires checking aud)');
  }
  for (const s of o.scopes ?? []) {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)) throw new TypeError(`requireToken: "${s}" is not a valid scope`);
  }
  const tolerance = o.clockToleranceSeconds;
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new TypeError(`requireToken: clockToleranceSeconds must be from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS} (revocations are kept that long past a token's exp)`);
  }
  const rules = [o.rateLimit?.defaultRule, ...Object.values(o.rateLimit?.perClient ?? {})];
  for (const r of rules) {
    if (r && !(Number.isInteger(r.requests) && r.requests > 0 && Number.isFinite(r.perSeconds) && r.perSeconds > 0)) {
      throw new TypeError('requireToken: a rate-limit rule needs a positive whole `requests` and a positive `perSeconds`');
    }
  }
  const d = o.dpop;
  if (d?.iatWindowSeconds !== undefined && !(Number.isInteger(d.iatWindowSeconds) && d.iatWindowSeconds >= 1 && d.iatWindowSeconds <= 3600)) {
    throw new TypeError('requireToken: dpop.iatWindowSeconds must be a whole number of seconds from 1 to 3600');
  }
  if (d?.nonceSecret !== undefined && (typeof d.nonceSecret !== 'string' || d.nonceSecret.length < 32)) {
    throw new TypeError('requireToken: dpop.nonceSecret must be a string of at least 32 characters');
  }
  if (d?.origin !== undefined && !/^https?:\/\/[^/?#]+$/.test(d.origin)) {
    throw new TypeError('requireToken: dpop.origin must be a scheme and host, e.g. https://api.example.com');
  }
  const flush = o.usage?.flushIntervalMs;
  if (flush !== undefined && !(Number.isInteger(flush) && flush >= 10 && flush <= 60_000)) {
    throw new TypeError('requireToken: usage.flushIntervalMs must be a whole number of milliseconds from 10 to 60000');
  }
  if (o.introspection && (!o.introspection.clientId || typeof o.introspection.clientSecret !== 'string')) {
    throw new TypeError('requireToken: introspection needs clientId and clientSecret');
  }
}
