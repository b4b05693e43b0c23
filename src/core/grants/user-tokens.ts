/**
 * Tokens for a user (authorization code and refresh grants): the access
 * token, and a refresh token when `offline_access` was granted or the client
 * always gets one. The access token's jti is remembered on the refresh
 * family so that revoking the family revokes it too.
 */
import type { ClientRecord, Store, UserRecord } from '../../store/store.js';
import { InvalidGrantError } from '../errors.js';
import { formatScope } from '../scopes.js';
import type { AccessTokenIssuer, IssuedAccessToken, ReservedAccessToken } from '../tokens/access-token.js';
import type { TokenResponse } from './grant-handler.js';

export const OFFLINE_ACCESS = 'offline_access';

/** RFC 6749 §3.3 and the roles model: what was asked ∩ what the client may have ∩ what the user's roles allow. */
export function userGrantScopes(asked: readonly string[], client: ClientRecord, userScopes: readonly string[]): string[] {
  const clientScopes = new Set(client.scopes);
  // offline_access is about the grant, not a resource, so roles do not carry it.
  const userSet = new Set([...userScopes, OFFLINE_ACCESS]);
  return asked.filter((s) => clientScopes.has(s) && userSet.has(s));
}

export interface UserTokenRequest {
  client: ClientRecord;
  user: UserRecord;
  scopes: readonly string[];
  audience: readonly string[];
  authTime: number;
  /** The refresh token to return, when there is one. */
  refreshToken: string | null;
  familyId: string | null;
  /** RFC 9449 §5: the key the access token is bound to, when the request carried a DPoP proof. */
  jkt: string | null;
  /** The access token's id and times, reserved beforehand and already recorded on the family (by the rotation). */
  reserved?: ReservedAccessToken;
}

export class UserTokenIssuer {
  constructor(
    private readonly tokens: AccessTokenIssuer,
    private readonly store: Store,
  ) {}

  /** An access token's id and times, fixed before a rotation records it on the family. */
  reserve(): ReservedAccessToken {
    return this.tokens.reserve();
  }

  async issue(req: UserTokenRequest): Promise<{ response: TokenResponse; jti: string; expiresAtMs: number; accessToken: IssuedAccessToken }> {
    const issued = await this.tokens.issue({
      subject: req.user.id,
      clientId: req.client.client_id,
      scopes: req.scopes,
      audience: req.audience,
      authTime: req.authTime,
      jkt: req.jkt,
      ...(req.reserved ? { reserved: req.reserved } : {}),
    });
    const expiresAtMs = issued.expiresAt * 1000;
    // A reuse of the family's token elsewhere may have revoked it since this
    // grant's rotation (RFC 9700 §4.14.2); its revocation did not list this
    // token, so it is not handed out. (A rotation records its access token
    // in the same step, `reserved`: a later reuse lists it.)
    if (req.familyId && !req.reserved && !(await this.store.refreshTokens.addAccessToken(req.familyId, { jti: issued.jti, expires_at: expiresAtMs }))) {
      throw new InvalidGrantError('the refresh token was revoked');
    }
    const response: TokenResponse = {
      access_token: issued.token,
      token_type: issued.tokenType,
      expires_in: issued.expiresIn,
    };
    if (req.scopes.length) response.scope = formatScope(req.scopes);
    if (req.refreshToken) response.refresh_token = req.refreshToken;
    return { response, jti: issued.jti, expiresAtMs, accessToken: issued };
  }
}
