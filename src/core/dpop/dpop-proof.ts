/**
 * RFC 9449 §4.3: checking a DPoP proof, for the token endpoint and for
 * resource servers (tessera/verifier runs this same code). In the RFC's
 * order: one well-formed JWT (§4.3 1-2), `typ: dpop+jwt` (4), an asymmetric
 * `alg` we accept (5), the signature by the public `jwk` of its header (6-7:
 * a private or symmetric key is refused), `jti`, `htm`, `htu` and `iat`
 * (3, 8, 9, 11), the server's nonce when it uses them (10), and with an
 * access token its hash in `ath` (12). The caller then claims `jti` in its
 * replay cache (§11.1) and, for a bound token, compares the key's RFC 7638
 * thumbprint with the token's `cnf.jkt` (§7.1).
 */
import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint, errors as joseErrors, importJWK, jwtVerify, type CryptoKey, type JWK, type JWSHeaderParameters, type JWTPayload,
} from 'jose';
import { InvalidDpopProofError, UseDpopNonceError } from '../errors.js';
import type { DpopNonces } from './dpop-nonces.js';

/** `dpop_signing_alg_values_supported` (RFC 9449 §5.1): asymmetric only. */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

const PROOF_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF_LENGTH = 8192;

export interface DpopExpectations {
  /** The request's method (`htm`). */
  method: string;
  /** The request's URL as the client addressed it, without query and fragment (`htu`). */
  url: string;
  /** With an access token (at a resource): its SHA-256 must be the proof's `ath`. */
  accessToken?: string;
  /** How far `iat` may be from now, either way, seconds. */
  iatWindowSeconds: number;
  nowSeconds: number;
  /** The server's nonces, when it uses them; `requireNonce` then refuses a proof without one. */
  nonces?: DpopNonces | null;
  requireNonce?: boolean;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what `cnf.jkt` holds. */
  jkt: string;
  jti: string;
  /** The replay-cache key and how long to keep it: while the proof's iat is still in the window. */
  replayKey: string;
  replayUntilMs: number;
}

/** RFC 9449 §7.1: the access token's hash as `ath` holds it. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** htu compared as RFC 9449 §4.3 9 says: without query and fragment, after URL normalisation (scheme and host case, default port). */
export function normalizeHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The one proof of a request: §4.3 1 allows exactly one DPoP header (Node joins repeated ones with ", "). */
export function singleProof(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (value.length > MAX_PROOF_LENGTH || !PROOF_SHAPE.test(value)) throw new InvalidDpopProofError('send exactly one DPoP header holding one proof JWT');
  return value;
}

/** RFC 7518 §6 private members and a symmetric key's `k`: a proof's `jwk` must have none (§4.3 7). */
const NOT_PUBLIC = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const MAX_IMPORTED_KEYS = 10_000;

/**
 * Keys of proofs seen lately, imported once: importing a JWK (WebCrypto) is
 * most of a proof check's cost, and a client signs every proof with the same
 * key. Keyed by algorithm and RFC 7638 thumbprint (what identifies the key);
 * bounded, oldest out.
 */
const importedKeys = new Map<string, CryptoKey>();

/** The public key in the proof's header and its thumbprint (jose's EmbeddedJWK, with the import cached). */
async function headerKey(header: JWSHeaderParameters, found: { jkt?: string }): Promise<CryptoKey> {
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw new joseErrors.JWSInvalid('"jwk" (JSON Web Key) Header Parameter must be a JSON object');
  if (jwk.kty === 'oct' || NOT_PUBLIC.some((m) => m in jwk)) throw new InvalidDpopProofError('the DPoP proof\'s jwk must be a public key');
  const jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256');
  const id = `${String(header.alg)}:${jkt}`;
  let key = importedKeys.get(id);
  if (!key) {
    const imported = await importJWK({ ...(jwk as JWK), ext: true }, header.alg);
    if (imported instanceof Uint8Array || imported.type !== 'public') throw new InvalidDpopProofError('the DPoP proof\'s jwk must be a public key');
    key = imported;
    importedKeys.set(id, key);
    if (importedKeys.size > MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value!);
  }
  found.jkt = jkt;
  return key;
}

export async function verifyDpopProof(proof: string, e: DpopExpectations): Promise<VerifiedProof> {
  let payload: JWTPayload;
  const found: { jkt?: string } = {};
  try {
    ({ payload } = await jwtVerify(proof, (header) => headerKey(header, found), { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] }));
  } catch (err) {
    if (err instanceof InvalidDpopProofError) throw err;
    if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
      throw new InvalidDpopProofError('the DPoP proof\'s alg is not accepted');
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'typ') {
      throw new InvalidDpopProofError('the DPoP proof\'s typ must be dpop+jwt');
    }
    throw new InvalidDpopProofError('the DPoP proof is not a valid JWT signed by the key in its header');
  }
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new InvalidDpopProofError('the DPoP proof needs a jti');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidDpopProofError('the DPoP proof needs an iat');
  if (htm !== e.method) throw new InvalidDpopProofError('the DPoP proof\'s htm is not this request\'s method');
  if (typeof htu !== 'string' || normalizeHtu(htu) === null || normalizeHtu(htu) !== normalizeHtu(e.url)) {
    throw new InvalidDpopProofError('the DPoP proof\'s htu is not this request\'s URL');
  }
  if (Math.abs(e.nowSeconds - iat) > e.iatWindowSeconds) throw new InvalidDpopProofError('the DPoP proof\'s iat is not recent');
  if (e.accessToken !== undefined && ath !== accessTokenHash(e.accessToken)) {
    throw new InvalidDpopProofError('the DPoP proof\'s ath is not the hash of this access token');
  }
  if (e.nonces) {
    if (nonce !== undefined && (typeof nonce !== 'string' || !(await e.nonces.isValid(nonce)))) {
      throw new UseDpopNonceError('the DPoP proof\'s nonce is not valid (any more); use the one in DPoP-Nonce', await e.nonces.current());
    }
    if (nonce === undefined && e.requireNonce) {
      throw new UseDpopNonceError('a DPoP proof here must carry the server\'s nonce (DPoP-Nonce)', await e.nonces.current());
    }
  }
  const jkt = found.jkt!;
  return {
    jkt,
    jti,
    replayKey: `dpop:${jkt}:${jti}`,
    // Past this the iat check refuses the proof anyway, so the entry may go.
    replayUntilMs: (iat + e.iatWindowSeconds + 1) * 1000,
  };
}
