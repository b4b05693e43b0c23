/**
 * `requireToken(options)`: Express middleware for a resource server that
 * accepts Tessera's tokens. In order: the bearer header (RFC 6750 §2.1),
 * the token (a JWT verified locally per RFC 9068 §4 and checked against
 * revocations, or an API token introspected per RFC 7662), the needed
 * scopes (all of them), the rate limit; then `req.auth` and `next()`.
 * Scopes come before the rate limit so that a refused request costs no quota.
 *
 * Revocation guarantees: with `revocations.redis`, a revoked token is refused
 * by the next request; with `revocations.feed`, at most one poll interval
 * after its revocation (while polls succeed; see revocation-feed-poller.ts).
 * An API token's introspection answer is reused for `cacheMs`, but a
 * revocation is seen as soon as the revocation source has it.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Authenticator } from './authenticator.js';
import { BearerError, insufficientScope, sendBearerError, serverError, tooManyRequests } from './bearer-errors.js';
import { presentedToken } from './bearer-header.js';
import { DpopCheck } from './dpop-check.js';
import { IntrospectionClient } from './introspection-client.js';
import { JwtVerifier, remoteJwks, type RemoteJwks } from './jwt-verifier.js';
import { checkOptions, DEFAULT_PREFIX, DEFAULT_REALM, isFeed, issuerBase, type RateLimitRule, type VerifierOptions } from './options.js';
import { rateLimitHeaders, RedisRateLimiter, type AppliedLimit } from './rate-limiter.js';
import type { RevocationSource } from './revocation-check.js';
import { FeedRevocations } from './revocation-feed-poller.js';
import { RedisRevocations } from './redis-revocations.js';
import { missingScopes } from './scopes.js';
import type { VerifiedToken } from './verified-token.js';
import { UsageRecorder } from './usage-recorder.js';
import { credentialUsageKey, exercisedScopes } from '../core/usage/scope-use.js';

export interface TokenMiddleware extends RequestHandler {
  /** Settles once the verifier can decide requests (the first feed poll succeeded); rejects if it failed. */
  ready(): Promise<void>;
  /** Writes the usage counts gathered so far (with `usage`; they are written every `usage.flushIntervalMs` anyway). */
  flush(): Promise<void>;
  /** Stops background work (the feed poller) and writes the usage counts that wait. The Redis clients are the caller's to close. */
  close(): Promise<void>;
}

function revocationSource(o: VerifierOptions, jwks: RemoteJwks, tolerance: number, onError: (err: unknown) => void): RevocationSource | null {
  const r = o.revocations;
  if (r === undefined) return null;
  if (isFeed(r)) {
    const pollIntervalMs = r.pollIntervalMs ?? 5000;
    return new FeedRevocations({
      feedUrl: r.feedUrl ?? `${issuerBase(o.issuer)}/oauth/revocations`,
      issuer: o.issuer,
      jwks,
      pollIntervalMs,
      maxStaleMs: r.maxStaleMs ?? Math.max(60_000, 10 * pollIntervalMs),
      timeoutMs: r.timeoutMs ?? 5000,
      clockToleranceSeconds: tolerance,
      onError,
    });
  }
  return new RedisRevocations(r.redis, r.prefix ?? DEFAULT_PREFIX, onError);
}

/** The route as written in the app (`/orders/:id`), not the path with ids, so usage counts stay few. */
function routeOf(req: Request): string {
  const path = typeof req.route?.path === 'string' ? `${req.baseUrl}${req.route.path}` : `${req.baseUrl}${req.path}`;
  return `${req.method} ${path}`;
}

export function requireToken(options: VerifierOptions): TokenMiddleware {
  checkOptions(options);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const onError = options.onError ?? (() => undefined);
  const realm = options.realm ?? DEFAULT_REALM;
  const needed = [...(options.scopes ?? [])];
  const base = issuerBase(options.issuer);

  const jwks = remoteJwks(options.jwksUri ?? `${base}/.well-known/jwks.json`, options.jwksCooldownMs ?? 30_000);
  const revocations = revocationSource(options, jwks, tolerance, onError);
  const i = options.introspection;
  const introspection = i
    ? new IntrospectionClient({
      url: i.url ?? `${base}/oauth/introspect`, clientId: i.clientId, clientSecret: i.clientSecret,
      cacheMs: i.cacheMs ?? 10_000, cacheSize: i.cacheSize ?? 10_000, timeoutMs: i.timeoutMs ?? 5000, onError, scopes: needed,
    })
    : null;
  const dpop = new DpopCheck(options.dpop ?? {}, onError);
  const dpopRequired = options.dpop?.required ?? false;
  const authenticator = new Authenticator(new JwtVerifier(jwks, options.issuer, options.audience, tolerance), revocations, introspection, dpop, dpopRequired);
  const rl = options.rateLimit;
  const limiter = rl ? new RedisRateLimiter(rl.redis, rl.prefix ?? DEFAULT_PREFIX, onError) : null;
  const u = options.usage;
  const usage = u ? new UsageRecorder(u.redis, u.prefix ?? DEFAULT_PREFIX, onError, u.flushIntervalMs) : null;

  /** The limit for this token: an API token's own (as introspected) else the default; a JWT's client's else the default. */
  async function limit(auth: VerifiedToken): Promise<AppliedLimit | null> {
    if (!limiter || !rl) return null;
    let rule: RateLimitRule | undefined;
    if (auth.token_type === 'api_token') {
      const own = auth.claims.rate_limit as { requests?: unknown; per_seconds?: unknown } | undefined;
      rule = own && typeof own.requests === 'number' && typeof own.per_seconds === 'number'
        ? { requests: own.requests, perSeconds: own.per_seconds }
        : rl.defaultRule;
      return rule ? limiter.take('api_token', auth.jti, rule) : null;
    }
    rule = (auth.client_id !== undefined ? rl.perClient?.[auth.client_id] : undefined) ?? rl.defaultRule;
    return rule ? limiter.take('access_token', auth.jti, rule) : null;
  }

  const middleware = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const { token, scheme } = presentedToken(req, dpopRequired);
      const route = routeOf(req);
      const auth = await authenticator.authenticate({
        token, scheme, clientIp: req.ip, route,
        dpop: { proof: req.headers.dpop, method: req.method, url: `${options.dpop?.origin ?? `${req.protocol}://${req.get('host') ?? ''}`}${req.originalUrl.split('?')[0]}` },
      });
      // RFC 9449 §9: a fresh nonce for the client's next proof.
      if (scheme === 'DPoP' && dpop.nonces) res.set('DPoP-Nonce', await dpop.nonces.current());
      if (missingScopes(needed, auth.scope).length) throw insufficientScope(needed, scheme === 'DPoP');
      const applied = await limit(auth);
      if (applied) {
        // On the answer whatever it is, as the draft asks (the handler's 200 as much as our 429).
        res.set(rateLimitHeaders([applied]));
        if (!applied.outcome.allowed) throw tooManyRequests(applied.policy, applied.outcome.retryAfterSeconds);
      }
      req.auth = auth;
      if (usage && auth.token_type === 'jwt' && typeof auth.claims.exp === 'number') {
        usage.record(auth.jti, auth.claims.exp, route, req.ip, exercisedScopes(needed, auth.scope), credentialUsageKey(auth.claims));
      }
    } catch (err) {
      if (!(err instanceof BearerError)) onError(err);
      sendBearerError(res, realm, err instanceof BearerError ? err : serverError('internal error'));
      return;
    }
    // Outside the try: what the next handlers throw is theirs, not a token problem.
    next();
  };

  return Object.assign(middleware, {
    async ready(): Promise<void> {
      if (revocations instanceof FeedRevocations) await revocations.ready();
    },
    async flush(): Promise<void> {
      await usage?.flush();
    },
    async close(): Promise<void> {
      await usage?.close();
      await revocations?.close();
      introspection?.close();
      dpop.close();
    },
  });
}
