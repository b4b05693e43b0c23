/**
 * The checks every JWT used as a credential gets here, whether it is a
 * client assertion (RFC 7523 §3, OIDC Core §9) or an external workload
 * token (RFC 7523 §3 for the JWT bearer grant): a signature by a key of its
 * owner with an asymmetric algorithm, `iss`, `sub`, `aud`, `exp` (required),
 * `nbf`, `iat` not in the future, a bounded lifetime, and then, by the
 * caller, its `jti` claimed once. Failures are AssertionRejected with a
 * short reason: the caller decides how much of it a client may see.
 */
import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { GetKey } from '../jwks/key-source.js';
import { FetchFailedError } from '../jwks/fetch-json.js';

/**
 * RFC 7518 §3.1 asymmetric algorithms (and `Ed25519`, RFC 9864's name that
 * oauth4webapi/openid-client use for Ed25519 keys). Never `none`, never HMAC:
 * client_secret_jwt is not offered, so no shared secret signs anything here.
 */
export const ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** The longest JWT accepted as a credential; anything longer is refused before parsing. */
export const MAX_ASSERTION_LENGTH = 16_384;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export type RejectionReason =
  | 'malformed' | 'algorithm' | 'unknown_key' | 'signature' | 'keys_unavailable' | 'expired' | 'not_yet_valid'
  | 'issued_in_future' | 'too_long_lived' | 'issuer' | 'subject' | 'audience' | 'missing_claim' | 'replayed';

export class AssertionRejected extends Error {
  constructor(readonly reason: RejectionReason, message: string) {
    super(message);
    this.name = 'AssertionRejected';
  }
}

export interface AssertionExpectations {
  /** Exact `iss`, when known beforehand (client assertions: the client id). */
  issuer?: string;
  /** Exact `sub`, when known beforehand. */
  subject?: string;
  /** `aud` must name at least one of these. */
  audiences: readonly string[];
  /** Longest accepted `exp` − `iat` (or `exp` − now without `iat`), seconds. */
  maxLifetimeSeconds: number;
  clockToleranceSeconds: number;
  /** `jti` must be present (client assertions, OIDC Core §9). */
  requireJti: boolean;
  nowSeconds: number;
}

export function looksLikeJws(value: string): boolean {
  return value.length <= MAX_ASSERTION_LENGTH && COMPACT_JWS.test(value);
}

function mapJoseError(err: unknown): AssertionRejected {
  if (err instanceof AssertionRejected) return err;
  if (err instanceof FetchFailedError) return new AssertionRejected('keys_unavailable', 'the signing keys could not be fetched');
  if (err instanceof joseErrors.JWTExpired) return new AssertionRejected('expired', 'the JWT has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss': return new AssertionRejected('issuer', 'the JWT\'s iss is not the expected one');
      case 'sub': return new AssertionRejected('subject', 'the JWT\'s sub is not the expected one');
      case 'aud': return new AssertionRejected('audience', 'the JWT\'s aud does not name this server');
      case 'nbf': return new AssertionRejected('not_yet_valid', 'the JWT is not valid yet (nbf)');
      case 'iat': return new AssertionRejected('issued_in_future', 'the JWT\'s iat is not valid');
      default: return new AssertionRejected('missing_claim', `the JWT's ${err.claim} claim is missing or not valid`);
    }
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new AssertionRejected('algorithm', 'the JWT\'s alg is not accepted');
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new AssertionRejected('unknown_key', 'the JWT is not signed with a known key');
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new AssertionRejected('signature', 'the JWT\'s signature is not valid');
  return new AssertionRejected('malformed', 'the JWT is malformed');
}

/** Verifies signature and claims; answers the payload. The caller claims the `jti` (replayKeyOf) once everything else passed. */
export async function verifyAssertion(jwt: string, getKey: GetKey, e: AssertionExpectations): Promise<JWTPayload & { exp: number }> {
  if (!looksLikeJws(jwt)) throw new AssertionRejected('malformed', 'the JWT is malformed');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, getKey, {
      algorithms: [...ASSERTION_ALGS],
      ...(e.issuer !== undefined ? { issuer: e.issuer } : {}),
      ...(e.subject !== undefined ? { subject: e.subject } : {}),
      audience: [...e.audiences],
      clockTolerance: e.clockToleranceSeconds,
      currentDate: new Date(e.nowSeconds * 1000),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', ...(e.requireJti ? ['jti'] : [])],
    }));
  } catch (err) {
    throw mapJoseError(err);
  }
  const { exp, iat, jti } = payload;
  if (typeof exp !== 'number') throw new AssertionRejected('missing_claim', 'the JWT\'s exp claim is missing or not valid');
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)) {
    throw new AssertionRejected('missing_claim', 'the JWT\'s jti must be a string of 1 to 256 characters');
  }
  if (typeof iat === 'number' && iat > e.nowSeconds + e.clockToleranceSeconds) {
    throw new AssertionRejected('issued_in_future', 'the JWT\'s iat is in the future');
  }
  // A bounded lifetime: a long-lived credential is a standing secret, which is what this is meant to replace.
  const start = typeof iat === 'number' ? iat : e.nowSeconds;
  if (exp - start > e.maxLifetimeSeconds) {
    throw new AssertionRejected('too_long_lived', `the JWT lives longer than the ${e.maxLifetimeSeconds} s accepted`);
  }
  return payload as JWTPayload & { exp: number };
}

/**
 * The replay-cache key of a verified JWT: its `jti` under its issuer, or,
 * for a JWT without one (RFC 7523 §3 makes it optional), the SHA-256 of the
 * JWT itself, so that even then one JWT is accepted once.
 */
export function replayKeyOf(namespace: string, payload: JWTPayload, jwt: string): string {
  const id = typeof payload.jti === 'string' ? `jti:${payload.jti}` : `sha256:${createHash('sha256').update(jwt).digest('base64url')}`;
  return `${namespace}:${JSON.stringify([payload.iss ?? '', id])}`;
}
