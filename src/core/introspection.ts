/**
 * RFC 7662 token introspection, without HTTP. Each kind of token this server
 * issues brings an inspector; a token no inspector claims, or one that is
 * expired, revoked, malformed or foreign, is `{ active: false }` and nothing
 * more (RFC 7662 §2.2: no hint why).
 */
import type { ClientRecord, UsageRepository } from '../store/store.js';
import { InvalidTokenError } from './errors.js';
import { credentialUsageExpiry, credentialUsageKey, exercisedScopes } from './usage/scope-use.js';
import { boundKeyOf, hasThreeParts, StartedValidation, type AccessTokenValidator } from './tokens/access-token-validator.js';
import { bestEffort, type SkippedWrites } from './outage-log.js';

export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  [extension: string]: unknown;
}

export const INACTIVE: IntrospectionResult = Object.freeze({ active: false });

/** Where the token was presented: the introspecting caller's own address unless it named its client's (`client_ip`). */
export interface IntrospectionContext {
  ip: string;
  /** The route the token was presented on, as the resource server reports it (`route`), for usage counts. */
  route: string;
  /** The scopes the resource server needs for that request (`scope`), when it says. */
  scopes?: readonly string[] | undefined;
}

export interface TokenInspector {
  /** Cheap shape check only; no store access. */
  claims(token: string, hint: string | undefined): boolean;
  /**
   * `prefetched`: what this inspector's prefetch() returned for the request,
   * when it has one and it was called.
   */
  inspect(token: string, caller: ClientRecord, where: IntrospectionContext, prefetched?: unknown): Promise<IntrospectionResult>;
  /**
   * Starts store reads about the token before the caller is authenticated,
   * so that they travel with the caller's authentication (one round trip
   * instead of two). Reads only: nothing is written, nothing is decided,
   * and what they find is used by inspect() only once the caller is
   * authenticated; dropped otherwise, never an unhandled rejection (RFC 7662
   * §2.1 and §4: nothing about a token reaches an unauthenticated caller).
   */
  prefetch?(token: string): unknown;
}

/** What an inspector's prefetch() started for one token (Introspection.prefetch). */
export class IntrospectionPrefetch {
  constructor(readonly token: string, readonly inspector: TokenInspector, readonly started: unknown) {}
}

export class AccessTokenInspector implements TokenInspector {
  constructor(
    private readonly validator: AccessTokenValidator,
    private readonly usage: UsageRepository,
    private readonly failures?: SkippedWrites,
  ) {}

  claims(token: string): boolean {
    return hasThreeParts(token);
  }

  /** The revocation list and client reads of a token verified before (AccessTokenValidator.prefetch). */
  prefetch(token: string): StartedValidation | undefined {
    return this.validator.prefetch(token);
  }

  async inspect(token: string, _caller: ClientRecord, where: IntrospectionContext, prefetched?: unknown): Promise<IntrospectionResult> {
    try {
      const c = await this.validator.validate(token, prefetched instanceof StartedValidation ? prefetched : undefined);
      const now = Date.now();
      const use = { route: where.route, ip: where.ip, atMs: now, scopes: exercisedScopes(where.scopes ?? [], c.scope) };
      // Usage is a record of reads, not a condition of them: not awaited (the server's repository
      // counts in memory and writes in batches, batched-usage.ts), and a failed write never fails the answer.
      void bestEffort(this.usage.record(`access_token:${c.jti}`, use, c.exp * 1000), 'usage', this.failures);
      // Told what the request needed: the credential behind the token (its API token, else its client) used those scopes.
      const credential = where.scopes ? credentialUsageKey(c) : null;
      if (credential) void bestEffort(this.usage.record(credential, use, credentialUsageExpiry(credential, c.exp * 1000, now)), 'usage', this.failures);
      const out: IntrospectionResult = {
        active: true,
        client_id: c.client_id,
        token_type: 'Bearer',
        exp: c.exp,
        iat: c.iat,
        sub: c.sub,
        aud: c.aud,
        iss: c.iss,
        jti: c.jti,
      };
      // RFC 9449 §6.2: a DPoP-bound token names its key, so the resource server can check the proof.
      const jkt = boundKeyOf(c);
      if (jkt) {
        out.token_type = 'DPoP';
        out.cnf = { jkt };
      }
      if (c.scope) out.scope = c.scope;
      if (typeof c.nbf === 'number') out.nbf = c.nbf;
      if (typeof c.username === 'string') out.username = c.username;
      return out;
    } catch (err) {
      if (err instanceof InvalidTokenError) return INACTIVE;
      throw err;
    }
  }
}

export class Introspection {
  constructor(private readonly inspectors: readonly TokenInspector[]) {}

  /**
   * Starts the store reads of the inspector introspect() would ask first
   * about this token (TokenInspector.prefetch), before the caller is
   * authenticated. The caller passes the result to introspect() once
   * authenticated, or drops it.
   */
  prefetch(token: string, hint: string | undefined): IntrospectionPrefetch | undefined {
    for (let pass = 0; pass < 2; pass++) {
      const hinted = pass === 0;
      for (const inspector of this.inspectors) {
        if (inspector.claims(token, hint) !== hinted || !inspector.claims(token, undefined)) continue;
        // Only the first inspector asked: the others are asked only when it finds nothing active.
        if (!inspector.prefetch) return undefined;
        const started = inspector.prefetch(token);
        return started === undefined ? undefined : new IntrospectionPrefetch(token, inspector, started);
      }
    }
    return undefined;
  }

  async introspect(
    token: string, hint: string | undefined, caller: ClientRecord, where: IntrospectionContext, prefetched?: IntrospectionPrefetch,
  ): Promise<IntrospectionResult> {
    const mine = prefetched?.token === token ? prefetched : undefined;
    // RFC 7662 §2.1: the hint may help, but when it does not fit the search
    // extends to every kind: the inspectors the hint points to first, then
    // the others, each in its own order (no array sorted per request).
    for (let pass = 0; pass < 2; pass++) {
      const hinted = pass === 0;
      for (const inspector of this.inspectors) {
        if (inspector.claims(token, hint) !== hinted || !inspector.claims(token, undefined)) continue;
        const result = await inspector.inspect(token, caller, where, mine?.inspector === inspector ? mine.started : undefined);
        if (result.active) return result;
      }
    }
    return INACTIVE;
  }
}
