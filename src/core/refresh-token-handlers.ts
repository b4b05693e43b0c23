/**
 * Refresh tokens at the revocation (RFC 7009 §2.1: revoking a refresh token
 * ends its whole family) and introspection (RFC 7662) endpoints.
 */
import type { ClientRecord } from '../store/store.js';
import { InvalidRequestError } from './errors.js';
import { INACTIVE, type IntrospectionResult, type TokenInspector } from './introspection.js';
import type { RevokedToken, TokenRevoker } from './revocation.js';
import { parseOpaqueToken } from './tokens/opaque-token.js';
import type { RefreshTokenService } from './tokens/refresh-tokens.js';

export class RefreshTokenRevoker implements TokenRevoker {
  constructor(private readonly refresh: RefreshTokenService) {}

  claims(token: string): boolean {
    return parseOpaqueToken(token) === 'refresh';
  }

  async revoke(token: string, caller: ClientRecord): Promise<RevokedToken | null> {
    const live = await this.refresh.lookup(token);
    if (!live) return null;
    if (live.family.client_id !== caller.client_id) throw new InvalidRequestError('this token was not issued to this client');
    await this.refresh.revokeFamily(live.family.family_id);
    return { kind: 'refresh_token', id: live.family.family_id };
  }
}

export class RefreshTokenInspector implements TokenInspector {
  constructor(
    private readonly refresh: RefreshTokenService,
    private readonly issuer: string,
  ) {}

  claims(token: string): boolean {
    return parseOpaqueToken(token) === 'refresh';
  }

  async inspect(token: string, caller: ClientRecord): Promise<IntrospectionResult> {
    const live = await this.refresh.lookup(token);
    // RFC 7662 §4: a refresh token is only described to the client it was issued to.
    if (!live || live.family.client_id !== caller.client_id) return INACTIVE;
    const result: IntrospectionResult = {
      active: true,
      client_id: live.family.client_id,
      token_type: 'refresh_token',
      exp: Math.floor(live.family.expires_at / 1000),
      iat: Math.floor(live.token.created_at / 1000),
      sub: live.family.user_id,
      iss: this.issuer,
    };
    if (live.token.scopes.length) result.scope = live.token.scopes.join(' ');
    // RFC 9449 §5: a public client's refresh token bound to its DPoP key.
    if (live.family.jkt) result.cnf = { jkt: live.family.jkt };
    return result;
  }
}
