/**
 * What a verified request carries: `req.auth`, typed through a global
 * augmentation of Express's Request (the way @types/express asks extensions
 * to add fields), and `tokenOf(req)` for code that prefers not to rely on it
 * (another library may claim `req.auth` with a different type).
 */
import type { Request } from 'express';

export interface VerifiedToken {
  /** `jwt`: an RFC 9068 access token checked locally; `api_token`: a `tsp_` token checked by introspection. */
  token_type: 'jwt' | 'api_token';
  /** The user (or, for client_credentials, the client) the token speaks for. */
  sub: string;
  /** The client the JWT was issued to; absent for API tokens. */
  client_id?: string;
  /** Space-separated granted scopes (RFC 6749 §3.3); `''` when none. */
  scope: string;
  /** The JWT's `jti`, or the API token's id (`tok_...`). */
  jti: string;
  /** Every claim of the JWT, or every member of the introspection answer. */
  claims: Readonly<Record<string, unknown>>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by @tessera-auth/server/verifier's requireToken() before the next handler runs. */
      auth?: VerifiedToken;
    }
  }
}

/** The verified token of a request that passed requireToken(); throws if it did not (a wiring mistake). */
export function tokenOf(req: Request): VerifiedToken {
  const auth = (req as { auth?: VerifiedToken }).auth;
  if (!auth) throw new Error('tokenOf: this request did not pass requireToken()');
  return auth;
}
