/**
 * Typed errors of Tessera, in the spirit of panva/jose's error classes: each
 * carries a stable `code`. The HTTP layer maps them to status codes, headers
 * and bodies in one place (src/http/error-response.ts); the core never
 * speaks HTTP.
 */

export abstract class TesseraError extends Error {
  /** The RFC 6749 §5.2 / RFC 6750 §3.1 / RFC 7009 error code, or an admin API code. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

// RFC 6749 §5.2 token endpoint errors
export class InvalidRequestError extends TesseraError { readonly code = 'invalid_request'; }
export class InvalidClientError extends TesseraError { readonly code = 'invalid_client'; }
export class InvalidGrantError extends TesseraError { readonly code = 'invalid_grant'; }
export class UnauthorizedClientError extends TesseraError { readonly code = 'unauthorized_client'; }
export class UnsupportedGrantTypeError extends TesseraError { readonly code = 'unsupported_grant_type'; }
export class InvalidScopeError extends TesseraError { readonly code = 'invalid_scope'; }
// RFC 8707 §2: a `resource` the client may not ask for
export class InvalidTargetError extends TesseraError { readonly code = 'invalid_target'; }
// RFC 7009 §2.2.1
export class UnsupportedTokenTypeError extends TesseraError { readonly code = 'unsupported_token_type'; }

// RFC 9449 §5, §7.1 and §8: a DPoP proof that is missing or fails a check; a nonce to use (carried for the DPoP-Nonce header)
export class InvalidDpopProofError extends TesseraError { readonly code = 'invalid_dpop_proof'; }
export class UseDpopNonceError extends TesseraError {
  readonly code = 'use_dpop_nonce';
  constructor(message: string, readonly nonce: string) { super(message); }
}
/** Something Tessera must fetch (a client's or an issuer's keys) could not be had; 503, retry later. */
export class UpstreamUnavailableError extends TesseraError { readonly code = 'temporarily_unavailable'; }

// RFC 6750 §3.1 bearer errors
export class InvalidTokenError extends TesseraError { readonly code = 'invalid_token'; }
export class InsufficientScopeError extends TesseraError {
  readonly code = 'insufficient_scope';
  constructor(message: string, readonly requiredScope: string) { super(message); }
}

// Admin API errors
export class NotFoundError extends TesseraError { readonly code = 'not_found'; }
export class ConflictError extends TesseraError { readonly code = 'conflict'; }

/** Too many requests from one caller; answered 429 with Retry-After. */
export class RateLimitedError extends TesseraError {
  readonly code = 'too_many_requests';
  constructor(message: string, readonly retryAfterSeconds: number) { super(message); }
}

/** The store could not be reached; answered as 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1). */
export class StoreUnavailableError extends TesseraError { readonly code = 'temporarily_unavailable'; }

/** Too much slow work (password hashing) is already waiting; answered 503 with Retry-After (RFC 6749 §4.1.2.1). */
export class BusyError extends TesseraError { readonly code = 'temporarily_unavailable'; }

/** A bad or unusable configuration or key directory; the process exits 2 at start-up. */
export class ConfigError extends TesseraError {
  readonly code = 'config_error';
  constructor(readonly problems: string[]) { super(problems.join('\n')); }
}

/** RFC 6750 §3.1: a request with no bearer token at all (answered with no error code in the header). */
export class MissingTokenError extends TesseraError { readonly code = 'invalid_token'; }
/** RFC 6750 §3.1 `invalid_request` for a malformed Authorization header at a bearer-protected endpoint. */
export class BearerRequestError extends TesseraError { readonly code = 'invalid_request'; }
/** A method the path does not serve; carries the ones it does, for `Allow`. */
export class MethodNotAllowedError extends TesseraError {
  readonly code = 'method_not_allowed';
  constructor(readonly allow: readonly string[]) { super(`use ${allow.join(' or ')}`); }
}
