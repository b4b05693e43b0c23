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

export type BearerErrorCode =
  | 'invalid_request' | 'invalid_token' | 'insufficient_scope'
  | 'too_many_requests' | 'temporarily_unavailable' | 'server_error';

export class BearerError extends Error {
  constructor(
    readonly status: number,
    readonly code: BearerErrorCode,
    description: string,
    /** Whether the challenge names the error (false only when no credentials came). */
    readonly challengeCode: boolean,
    readonly extra: { scope?: string; retryAfterSeconds?: number } = {},
  ) {
    super(description);
    this.name = 'BearerError';
  }
}

export const missingToken = () => new BearerError(401, 'invalid_token', 'a bearer token is required', false);
export const invalidRequest = (d: string) => new BearerError(400, 'invalid_request', d, true);
export const invalidToken = (d: string) => new BearerError(401, 'invalid_token', d, true);
export const insufficientScope = (needed: readonly string[]) =>
  new BearerError(403, 'insufficient_scope', `the token lacks a needed scope: ${needed.join(' ')}`, true, { scope: needed.join(' ') });
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
  return `Bearer ${parts.join(', ')}`;
}

export function sendBearerError(res: Response, realm: string, err: BearerError): void {
  res.status(err.status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  if (err.status === 401 || err.status === 400 || err.status === 403) res.set('WWW-Authenticate', challenge(realm, err));
  if (err.extra.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.extra.retryAfterSeconds));
  res.json({ error: err.code, error_description: safeText(err.message) });
}
