/**
 * API tokens at the introspection (RFC 7662) and revocation (RFC 7009)
 * endpoints. Introspection answers any authenticated confidential client
 * (resource servers); revocation needs only the secret, since whoever holds
 * it could use it anyway, as the leaked-token endpoint does too.
 */
import type { ClientRecord, Store } from '../../store/store.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { INACTIVE, type IntrospectionContext, type IntrospectionResult, type TokenInspector } from '../introspection.js';
import type { RevokedToken, TokenRevoker } from '../revocation.js';
import { parseOpaqueToken } from '../tokens/opaque-token.js';
import type { ApiTokenService } from './api-token-service.js';
import { secretWorks, type ApiTokenUser } from './api-token-use.js';

export class ApiTokenInspector implements TokenInspector {
  constructor(
    private readonly apiTokens: ApiTokenUser,
    private readonly issuer: string,
  ) {}

  claims(token: string): boolean {
    return parseOpaqueToken(token) === 'api';
  }

  async inspect(token: string, caller: ClientRecord, where: IntrospectionContext): Promise<IntrospectionResult> {
    const use = await this.apiTokens.use(token, { ip: where.ip, purpose: 'introspection', clientId: caller.client_id, route: where.route, scopes: where.scopes });
    if (!use.ok) return INACTIVE;
    const result: IntrospectionResult = {
      active: true,
      token_type: 'api_token',
      exp: Math.floor(use.record.expires_at / 1000),
      iat: Math.floor(use.record.created_at / 1000),
      sub: use.owner.id,
      username: use.owner.username,
      iss: this.issuer,
      jti: use.record.id,
    };
    if (use.scopes.length) result.scope = use.scopes.join(' ');
    // RFC 7662 §2.2 allows extensions: verifiers enforce the token's own limit with it.
    if (use.record.rate_limit) result.rate_limit = { ...use.record.rate_limit };
    return result;
  }
}

export class ApiTokenRevoker implements TokenRevoker {
  constructor(
    private readonly store: Store,
    private readonly service: ApiTokenService,
  ) {}

  claims(token: string): boolean {
    return parseOpaqueToken(token) === 'api';
  }

  async revoke(token: string, caller: ClientRecord): Promise<RevokedToken | null> {
    const hash = sha256Hex(token);
    const record = await this.store.apiTokens.findByHash(hash);
    if (!record || !secretWorks(record, hash, Date.now())) return null;
    await this.service.revoke(record.id, 'revoked at /oauth/revoke', { actor: { type: 'client', id: caller.client_id } });
    return { kind: 'api_token', id: record.id };
  }
}
