/**
 * Local verification of Tessera's JWT access tokens, as RFC 9068 §4 asks of
 * a resource server: signature by a key of the issuer's JWKS, `typ: at+jwt`
 * (so an ID token, a feed page or any other JWT signed with the same key is
 * not taken for an access token), `iss`, `aud` naming this resource, `exp`,
 * `nbf`, and an `iat` no later than now plus the clock tolerance.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { invalidToken, unavailable, type BearerError } from './bearer-errors.js';

export type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

/** The asymmetric algorithms Tessera signs with; never `none` or HMAC, whose key would be public here. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'PS256'];

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_LENGTH = 8192;

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  api_token_id?: string;
  /** RFC 9449 §6.1: the key a DPoP-bound token is bound to. */
  cnf?: { jkt?: string };
}

/** jose's codes for a token that is wrong, as opposed to a JWKS we could not get. */
const TOKEN_FAULTS = new Set([
  errors.JWTClaimValidationFailed.code, errors.JWTExpired.code, errors.JWTInvalid.code, errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code, errors.JOSEAlgNotAllowed.code, errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code, errors.JWKSMultipleMatchingKeys.code,
]);

export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_LENGTH && JWT_SHAPE.test(token);
}

/**
 * A JWKS fetched from `url` and cached by jose: an unknown `kid` (a key
 * rotated in) fetches again at most once per cooldown, so tokens with
 * made-up kids cannot make us hammer the issuer.
 */
export function remoteJwks(url: string, cooldownMs: number): RemoteJwks {
  return createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownMs });
}

/** Maps what jose threw to our answer: the token's fault is 401, an unreachable or broken JWKS is 503. */
export function joseFailure(err: unknown, what: string): BearerError {
  if (err instanceof errors.JOSEError && TOKEN_FAULTS.has(err.code)) {
    if (err instanceof errors.JWTExpired) return invalidToken(`the ${what} has expired`);
    if (err instanceof errors.JWTClaimValidationFailed) return invalidToken(`the ${what}'s ${err.claim} is not valid`);
    if (err instanceof errors.JWKSNoMatchingKey) return invalidToken(`the ${what} is signed with an unknown key`);
    return invalidToken(`the ${what} is not valid`);
  }
  return unavailable('the issuer\'s keys could not be fetched; retry shortly');
}

export class JwtVerifier {
  constructor(
    private readonly jwks: RemoteJwks,
    private readonly issuer: string,
    private readonly audience: string | string[],
    private readonly clockToleranceSeconds: number,
  ) {}

  /** The claims, or throws a BearerError. */
  async verify(token: string): Promise<AccessTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        typ: 'at+jwt',
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.clockToleranceSeconds,
        // RFC 9068 §2.2 makes these REQUIRED; aud is checked above.
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (err) {
      throw joseFailure(err, 'token');
    }
    // jose checks `iat` only against a maximum age: a token "issued" in the
    // future would outlive a user's cut-off, which is compared with iat.
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + this.clockToleranceSeconds) {
      throw invalidToken('the token\'s iat is not valid');
    }
    const { sub, jti, client_id: clientId, scope, api_token_id: apiTokenId, cnf } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof clientId !== 'string' ||
        (scope !== undefined && typeof scope !== 'string') || (apiTokenId !== undefined && typeof apiTokenId !== 'string')) {
      throw invalidToken('the token is not valid');
    }
    // A confirmation we cannot read is not one we may ignore: a bound token must never pass as a bearer token.
    if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || typeof (cnf as { jkt?: unknown }).jkt !== 'string')) {
      throw invalidToken('the token is not valid');
    }
    // RFC 9068 §2.2.3: no scope claim when nothing was granted.
    return { ...payload, scope: scope ?? '' } as AccessTokenClaims;
  }
}
