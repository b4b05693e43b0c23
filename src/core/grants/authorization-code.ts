/**
 * RFC 6749 §4.1.3: the authorization code grant, with PKCE (RFC 7636 §4.6).
 * A code is taken atomically; a second use revokes what the first issued
 * (RFC 6749 §4.1.2: "SHOULD revoke ... all tokens previously issued based on
 * that authorization code").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientRecord, Store } from '../../store/store.js';
import { InvalidGrantError, InvalidRequestError } from '../errors.js';
import type { AuditSink } from '../audit.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';
import type { UserService } from '../users/user-service.js';
import type { GrantHandler, TokenRequest, TokenResponse } from './grant-handler.js';
import { resolveAudience } from './audience.js';
import { OFFLINE_ACCESS, userGrantScopes, type UserTokenIssuer } from './user-tokens.js';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const REPLAY_WINDOW_MS = 10 * 60_000;
const REFUSED = 'the authorization code is invalid, expired, used, or was issued to another client or redirect_uri';

export class AuthorizationCodeGrant implements GrantHandler {
  readonly grantType = 'authorization_code';

  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly refresh: RefreshTokenService,
    private readonly userTokens: UserTokenIssuer,
    private readonly audit: AuditSink,
    private readonly issuer: string,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(client: ClientRecord, request: TokenRequest): Promise<TokenResponse> {
    const { code, redirect_uri: redirectUri, code_verifier: verifier } = request.params;
    if (!code) throw new InvalidRequestError('code is required');
    if (!redirectUri) throw new InvalidRequestError('redirect_uri is required');
    if (!verifier) throw new InvalidRequestError('code_verifier is required (PKCE)');

    const hash = sha256Hex(code);
    const taken = await this.store.authorizationCodes.consume(hash, this.now(), REPLAY_WINDOW_MS);
    if (taken.status === 'replayed') {
      if (taken.issued) {
        await this.store.revocations.add(taken.issued.access_token_jti, taken.issued.access_token_expires_at);
        if (taken.issued.refresh_family_id) await this.refresh.revokeFamily(taken.issued.refresh_family_id);
      }
      this.audit.record({ type: 'authorization_code.reuse_detected', actor: { type: 'client', id: client.client_id }, client_id: client.client_id });
      throw new InvalidGrantError(REFUSED);
    }
    if (taken.status !== 'consumed') throw new InvalidGrantError(REFUSED);
    const grant = taken.code;
    // RFC 6749 §4.1.3: issued to this client, for this redirect_uri.
    if (grant.client_id !== client.client_id || grant.redirect_uri !== redirectUri) throw new InvalidGrantError(REFUSED);
    // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
    if (!VERIFIER.test(verifier)) throw new InvalidGrantError(REFUSED);
    const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
    const expected = Buffer.from(grant.code_challenge);
    if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw new InvalidGrantError(REFUSED);

    const user = await this.store.users.get(grant.user_id);
    if (!user || user.disabled) throw new InvalidGrantError(REFUSED);
    const scopes = userGrantScopes(grant.scopes, client, await this.users.scopesOf(user));
    const wantsRefresh = (scopes.includes(OFFLINE_ACCESS) || client.always_issue_refresh_token === true) && client.grant_types.includes('refresh_token');
    const family = wantsRefresh
      ? await this.refresh.startFamily({ clientId: client.client_id, userId: user.id, scopes, authTime: grant.auth_time })
      : null;
    const issued = await this.userTokens.issue({
      client,
      user,
      scopes,
      audience: resolveAudience(client, request.resources, this.issuer),
      authTime: grant.auth_time,
      refreshToken: family?.token ?? null,
      familyId: family?.family.family_id ?? null,
    });
    await this.store.authorizationCodes.recordIssuance(hash, {
      access_token_jti: issued.jti,
      access_token_expires_at: issued.expiresAtMs,
      refresh_family_id: family?.family.family_id ?? null,
    });
    return issued.response;
  }
}
