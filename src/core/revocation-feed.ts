/**
 * The revocation feed for resource servers that verify JWTs locally and have
 * no access to the store: revoked token ids and per-user cut-offs since a
 * cursor, as a JWT signed with the server's signing key (so a verifier checks
 * it with the JWKS it already uses). Entries leave the feed once no
 * validator accepts a token they could name: a revoked id the largest clock
 * tolerance after that token's `exp` (clock-tolerance.ts), a cut-off one
 * access-token lifetime plus that tolerance after it was set.
 *
 * Guarantee: a verifier that polls every P seconds refuses a revoked token
 * at most P seconds (plus one request) after the revocation.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Store } from '../store/store.js';
import type { KeyRing } from './keys/types.js';
import { REVOCATION_MARGIN_MS } from './tokens/clock-tolerance.js';

export const FEED_TYP = 'revocations+jwt';
const PAGE = 5_000;
const SIGNED_FOR_SECONDS = 300;
const TRIM_EVERY_MS = 60_000;

export interface FeedPage {
  /** Strong ETag over the content (not the signing time), for If-None-Match. */
  etag: string;
  /** Signs the page as a compact JWT; only called when the answer is not a 304. */
  sign(): Promise<string>;
}

export interface FeedClaims {
  /** Pass back as `since` for what comes next. */
  cursor: string | null;
  /** More entries follow at once: ask again with `cursor`. */
  more: boolean;
  /** Revoked token ids (a jti, or `api_token:<id>` for every JWT exchanged from that API token) with their `exp`, epoch s. */
  revoked: Array<{ jti: string; exp: number }>;
  /** Every token of `sub` with `iat` before `before` (epoch s) is revoked. */
  cutoffs: Array<{ sub: string; before: number }>;
}

export class RevocationFeed {
  #lastTrim = 0;

  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    private readonly issuer: string,
    /** Longest after its issue that an access token can be accepted, or its revocation entry be due: TTL plus clock skew plus the revocation margin. */
    private readonly tokenLifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async page(since: string | undefined): Promise<FeedPage> {
    const now = this.now();
    if (now - this.#lastTrim >= TRIM_EVERY_MS) {
      this.#lastTrim = now;
      await this.store.revocations.trimFeed(now - this.tokenLifetimeMs);
    }
    const { entries, last, more } = await this.store.revocations.feed(since, PAGE);
    const claims: FeedClaims = { cursor: last, more, revoked: [], cutoffs: [] };
    for (const e of entries) {
      if (e.kind === 'token' && e.at + REVOCATION_MARGIN_MS > now) claims.revoked.push({ jti: e.ref, exp: Math.ceil(e.at / 1000) });
      // iat has whole seconds: a token from the cut-off's own second counts as before it (as the validator does).
      if (e.kind === 'cutoff' && e.at + this.tokenLifetimeMs > now) claims.cutoffs.push({ sub: e.ref, before: Math.ceil(e.at / 1000) });
    }
    const etag = `"${createHash('sha256').update(JSON.stringify(claims)).digest('base64url')}"`;
    return { etag, sign: () => this.sign(claims, now) };
  }

  private async sign(claims: FeedClaims, now: number): Promise<string> {
    const key = this.keys.signingKey();
    const iat = Math.floor(now / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: FEED_TYP })
      .setIssuer(this.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + SIGNED_FOR_SECONDS)
      .sign(key.privateKey);
  }
}
