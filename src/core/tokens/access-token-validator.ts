/**
 * Checks an access token of this server: signature by a published key,
 * RFC 9068 `typ`, issuer, time (`exp`, `nbf`, and an `iat` not in the
 * future), then revocation and that its client still exists. Used by introspection and the admin API's bearer check.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { InvalidTokenError } from '../errors.js';
import { SIGNING_ALGS, type KeyRing, type VerificationKey } from '../keys/types.js';
import type { Store } from '../../store/store.js';
import { ACCESS_TOKEN_TYP } from './access-token.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { VerifiedSignatures, type CurrentKey, type VerifiedEntry } from './verified-signatures.js';

/** Verified tokens remembered per process (verified-signatures.ts): about 0.5 kB each. */
const VERIFIED_TOKENS = 10_000;

/** The revocation-list entry that ends every access token exchanged from an API token. */
export function apiTokenRevocationId(apiTokenId: string): string {
  return `api_token:${apiTokenId}`;
}

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
}

/** RFC 9449 §6.1: the thumbprint of the key a DPoP-bound token is bound to, or null for a bearer token. */
export function boundKeyOf(claims: JWTPayload): string | null {
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  return cnf && typeof cnf === 'object' && typeof cnf.jkt === 'string' ? cnf.jkt : null;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** RFC 7515 §7.1: three dot-separated parts, i.e. exactly two dots (what `split('.')` would count, without the array). */
export function hasThreeParts(token: string): boolean {
  const first = token.indexOf('.');
  if (first < 0) return false;
  const second = token.indexOf('.', first + 1);
  return second >= 0 && token.indexOf('.', second + 1) < 0;
}

type LiveState = [Awaited<ReturnType<Store['revocations']['status']>>, Awaited<ReturnType<Store['clients']['get']>>];

/** The store reads of a token verified before, started by AccessTokenValidator.prefetch(). */
export class StartedValidation {
  constructor(
    readonly token: string,
    readonly hash: string,
    /** The remembered verification the reads were started for (its claims are the token's). */
    readonly verified: VerifiedEntry,
    readonly state: Promise<LiveState>,
  ) {
    // Awaited by validate(), or dropped when the caller is refused first.
    state.catch(() => undefined);
  }
}

export class AccessTokenValidator {
  constructor(
    private readonly keys: KeyRing,
    private readonly store: Store,
    private readonly issuer: string,
    private readonly clockSkew: number,
  ) {}

  readonly #verified = new VerifiedSignatures(VERIFIED_TOKENS);
  readonly #currentKey: CurrentKey = (kid) => this.keys.verificationKey(kid)?.publicKey;

  /**
   * Starts the store reads of a token this process already verified (the
   * revocation list, the subject's cut-off, its client) without waiting for
   * them, so that they leave in the same tick as the commands the caller
   * issues before its next await (introspection: the caller's own
   * authentication; the store's connection sends the commands of one turn
   * together, on a Cluster per node). Reads only, and nothing is decided
   * here: validate() uses them for this token, or they are dropped (never
   * an unhandled rejection). A token not verified before, or no longer
   * timely, starts nothing: validate() does all of its work as usual.
   */
  prefetch(token: string): StartedValidation | undefined {
    // No shape check: only a token that passed it (and its signature check) is remembered under its hash.
    if (token.length > 8192) return undefined;
    const hash = sha256Hex(token);
    const known = this.#verified.entry(hash, this.#currentKey);
    if (!known || this.#expired(known.payload)) return undefined;
    return new StartedValidation(token, hash, known, this.#liveState(known.payload as AccessTokenClaims));
  }

  /**
   * Throws InvalidTokenError (with a reason safe to show) when the token is
   * not a live access token of this server. `started`: what prefetch()
   * started, used only when it is for this very token.
   */
  async validate(token: string, started?: StartedValidation): Promise<AccessTokenClaims> {
    const mine = started instanceof StartedValidation && started.token === token ? started : null;
    if (!mine && (token.length > 8192 || !JWT_SHAPE.test(token))) throw new InvalidTokenError('token is malformed');
    const hash = mine ? mine.hash : sha256Hex(token);
    let payload: AccessTokenClaims;
    let state: Promise<LiveState>;
    // The reads started for this token stand while the verification they
    // were started for does (its key still one this server verifies with):
    // that entry, found a moment ago, is checked again rather than looked up
    // again. Else the token is checked and read afresh.
    if (mine && VerifiedSignatures.holds(mine.verified, this.#currentKey)) {
      payload = this.#stillTimely(mine.verified.payload, hash);
      state = mine.state;
    } else {
      const known = this.#verified.get(hash, this.#currentKey);
      payload = known ? this.#stillTimely(known, hash) : await this.#verify(token, hash);
      state = this.#liveState(payload);
    }
    const [status, client] = await state;
    if (status.revoked) throw new InvalidTokenError('token has been revoked');
    // iat has whole seconds: a token from the cut-off's own second counts as
    // issued before it, so nothing issued before the cut-off survives.
    if (status.userCutoffMs !== null && typeof payload.iat === 'number' && payload.iat < Math.ceil(status.userCutoffMs / 1000)) {
      throw new InvalidTokenError('token has been revoked');
    }
    // A deleted client's tokens end with it.
    if (!client) throw new InvalidTokenError('token is not valid');
    return payload;
  }

  /**
   * What can change after signing, read together: the revocation list and
   * the subject's cut-off in one command (the cut-off is only ever set for
   * users; for client tokens it is absent), and the client (from memory
   * while cached).
   */
  #liveState(payload: AccessTokenClaims): Promise<LiveState> {
    return Promise.all([
      this.store.revocations.status(
        payload.jti,
        typeof payload.sub === 'string' ? payload.sub : null,
        // A JWT exchanged from an API token dies when that token is revoked.
        typeof payload.api_token_id === 'string' ? [apiTokenRevocationId(payload.api_token_id)] : [],
      ),
      this.store.clients.get(payload.client_id),
    ]);
  }

  /** Signature, typ, iss, alg, required claims and time by jose; the claims' shape and iat here. Remembered once it passes. */
  async #verify(token: string, hash: string): Promise<AccessTokenClaims> {
    let payload: JWTPayload;
    let verifiedBy: VerificationKey | undefined;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = header.kid ? this.keys.verificationKey(header.kid) : undefined;
          if (!key || key.alg !== header.alg) throw new joseErrors.JWKSNoMatchingKey();
          verifiedBy = key;
          return key.publicKey;
        },
        {
          issuer: this.issuer,
          typ: ACCESS_TOKEN_TYP,
          // Never `none`, never HMAC: only the asymmetric algorithms we sign with.
          algorithms: [...SIGNING_ALGS],
          clockTolerance: this.clockSkew,
          requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti'],
        },
      ));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token has expired');
      throw new InvalidTokenError('token is not valid');
    }
    if (typeof payload.client_id !== 'string' || (payload.scope !== undefined && typeof payload.scope !== 'string') || typeof payload.jti !== 'string') {
      throw new InvalidTokenError('token is not valid');
    }
    // jose checks `iat` only against a maximum age. A token "issued" in the
    // future would outlive a user's cut-off (compared with iat below), so
    // nothing issued later than the clock tolerance allows is accepted.
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + this.clockSkew) throw new InvalidTokenError('token is not valid');
    payload.scope ??= '';
    // Callers share the remembered claims: none may change them.
    Object.freeze(payload);
    if (verifiedBy) this.#verified.set(hash, payload, verifiedBy.kid, verifiedBy.publicKey);
    return payload as AccessTokenClaims;
  }

  /**
   * A remembered token's time, as jose checks it (RFC 7519 §4.1.4, with the
   * clock tolerance): past `exp` it is expired, and forgotten. Its `nbf` and
   * `iat` passed when it was verified, and time only moves on.
   */
  #stillTimely(payload: JWTPayload, hash: string): AccessTokenClaims {
    if (this.#expired(payload)) {
      this.#verified.delete(hash);
      throw new InvalidTokenError('token has expired');
    }
    return payload as AccessTokenClaims;
  }

  #expired(payload: JWTPayload): boolean {
    return (payload.exp as number) <= Math.floor(Date.now() / 1000) - this.clockSkew;
  }
}
