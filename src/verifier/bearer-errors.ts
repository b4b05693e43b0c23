/**
 * The verifier's refusals as HTTP answers. RFC 6750 §3 decides the status
 * and the `WWW-Authenticate` challenge: no error code when the request had
 * no credentials at all (§3.1: "SHOULD NOT include an error code"), 400
 * `invalid_request`, 401 `invalid_token`, 403 `insufficient_scope` with the
 * scope needed. Rate limits (429) and outages (503) are not the token's
 * fault, so they carry no challenge. Every body is `{error, error_description}`
 * and never cached (RFC 6749 §5.1's `no-store`, as Tessera itself answers).
 */
import type { Response } from 'express';
import { DPOP_ALGS } from '../core/dpop/dpop-proof.js';

export type BearerErrorCode =
  | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'
  | 'too_many_requests' | 'temporarily_unavailable' | 'server_error';

/** What the challenge is about: `dpop` answers with the DPoP scheme (RFC 9449 §7.1), `nonce` sends a DPoP-Nonce (§9). */
export interface ChallengeExtras {
  scope?: string;
  retryAfterSeconds?: number;
  dpop?: boolean;
  nonce?: string;
}

export class BearerError extends Error {
  constructor(
    readonly status: number,
    readonly code: BearerErrorCode,
    description: string,
    /** Whether the challenge names the error (false only when no credentials came). */
    readonly challengeCode: boolean,
    readonly extra: ChallengeExtras = {},
  ) {
    super(description);
    this.name = 'BearerError';
  }
}

export const missingToken = (dpop = false) => new BearerError(401, 'invalid_token', 'a bearer token is required', false, { dpop });
export const invalidRequest = (d: string, dpop = false) => new BearerError(400, 'invalid_request', d, true, { dpop });
export const invalidToken = (d: string, dpop = false) => new BearerError(401, 'invalid_token', d, true, { dpop });
export const invalidDpopProof = (d: string) => new BearerError(401, 'invalid_dpop_proof', d, true, { dpop: true });
export const useDpopNonce = (d: string, nonce: string) => new BearerError(401, 'use_dpop_nonce', d, true, { dpop: true, nonce });
export const insufficientScope = (needed: readonly string[], dpop = false) =>
  new BearerError(403, 'insufficient_scope', `the token lacks a needed scope: ${needed.join(' ')}`, true, { scope: needed.join(' '), dpop });
export const tooManyRequests = (policy: string, retryAfterSeconds: number) =>
  new BearerError(429, 'too_many_requests', `the ${policy} rate limit is reached; retry after ${retryAfterSeconds} s`, false, { retryAfterSeconds });
export const unavailable = (d: string) => new BearerError(503, 'temporarily_unavailable', d, false, { retryAfterSeconds: 1 });
export const serverError = (d: string) => new BearerError(500, 'server_error', d, false);

/** RFC 6749 §5.2 / RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E, so it is also safe inside a quoted header value. */
export function safeText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ').slice(0, 300);
}

/** RFC 7230 §3.2.6 quoted-string for the realm, which the caller chooses. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7E]/g, ' ')}"`;
}

export function challenge(realm: string, err?: BearerError): string {
  const parts = [`realm=${quoted(realm)}`];
  if (err?.challengeCode) parts.push(`error="${err.code}"`, `error_description="${safeText(err.message)}"`);
  if (err?.extra.scope) parts.push(`scope="${err.extra.scope}"`);
  // RFC 9449 §7.1: a DPoP challenge names the proof algorithms accepted.
  if (err?.extra.dpop) parts.push(`algs="${DPOP_ALGS.join(' ')}"`);
  return `${err?.extra.dpop ? 'DPoP' : 'Bearer'} ${parts.join(', ')}`;
}

export function sendBearerError(res: Response, realm: string, err: BearerError): void {
  res.status(err.status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  if (err.status === 401 || err.status === 400 || err.status === 403) res.set('WWW-Authenticate', challenge(realm, err));
  if (err.extra.nonce !== undefined) res.set('DPoP-Nonce', err.extra.nonce);
  if (err.extra.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.extra.retryAfterSeconds));
  res.json({ error: err.code, error_description: safeText(err.message) });
}
