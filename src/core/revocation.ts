/**
 * RFC 7009 token revocation, without HTTP. Each kind of token brings a
 * revoker. A token no revoker knows is answered as success (§2.2: "invalid
 * tokens do not cause an error response"); a live token of another client is
 * refused (§2.1).
 */
import type { ClientRecord, Store } from '../store/store.js';
import { InvalidRequestError, InvalidTokenError } from './errors.js';
import { hasThreeParts, type AccessTokenValidator } from './tokens/access-token-validator.js';

export interface TokenRevoker {
  claims(token: string): boolean;
  /** Revokes the token if it is live and the caller's; returns what was revoked, or null when nothing was. */
  revoke(token: string, caller: ClientRecord): Promise<RevokedToken | null>;
}

export interface RevokedToken {
  kind: 'access_token' | 'refresh_token' | 'api_token';
  id: string;
}

export class AccessTokenRevoker implements TokenRevoker {
  constructor(
    private readonly validator: AccessTokenValidator,
    private readonly store: Store,
  ) {}

  claims(token: string): boolean {
    return hasThreeParts(token);
  }

  async revoke(token: string, caller: ClientRecord): Promise<RevokedToken | null> {
    let claims;
    try {
      claims = await this.validator.validate(token);
    } catch (err) {
      // Expired, already revoked, tampered or foreign: nothing to do.
      if (err instanceof InvalidTokenError) return null;
      throw err;
    }
    if (claims.client_id !== caller.client_id) throw new InvalidRequestError('this token was not issued to this client');
    // The entry lives exactly as long as the token would have.
    await this.store.revocations.add(claims.jti, claims.exp * 1000);
    return { kind: 'access_token', id: claims.jti };
  }
}

export class Revocation {
  constructor(private readonly revokers: readonly TokenRevoker[]) {}

  async revoke(token: string, hint: string | undefined, caller: ClientRecord): Promise<RevokedToken | null> {
    void hint; // RFC 7009 §2.1: honoured as a hint only; the token's own shape decides.
    for (const revoker of this.revokers) {
      if (!revoker.claims(token)) continue;
      const done = await revoker.revoke(token, caller);
      if (done) return done;
    }
    return null;
  }
}
