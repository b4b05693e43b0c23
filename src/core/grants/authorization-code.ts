/**
 * RFC 6749 §4.1.3: the authorization code grant, with PKCE (RFC 7636 §4.6).
 * A code is taken atomically; a second use revokes what the first issued
 * (RFC 6749 §4.1.2: "SHOULD revoke ... all tokens previously issued based on
 * that authorization code").
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientRecord, CodeIssuance, Store } from '../../store/store.js';
import { InvalidGrantError, InvalidRequestError } from '../errors.js';
import type { AuditSink } from '../audit.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';
import type { UserService } from '../users/user-service.js';
import type { GrantHandler, GrantResult, TokenRequest, TokenResponse } from './grant-handler.js';
import { resolveAudience } from './audience.js';
import { OFFLINE_ACCESS, userGrantScopes, type UserTokenIssuer } from './user-tokens.js';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const REPLAY_WINDOW_MS = 10 * 60_000;
// A replay that races the first use finds no issuance yet; it waits this long for one to appear.
const RACE_WAIT_MS = 1_000;
const RACE_POLL_MS = 50;
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

  async handle(client: ClientRecord, request: TokenRequest): Promise<GrantResult> {
    const { code, redirect_uri: redirectUri, code_verifier: verifier } = request.params;
    if (!code) throw new InvalidRequestError('code is required');
    if (!redirectUri) throw new InvalidRequestError('redirect_uri is required');
    if (!verifier) throw new InvalidRequestError('code_verifier is required (PKCE)');

    const hash = sha256Hex(code);
    const taken = await this.store.authorizationCodes.consume(hash, this.now(), REPLAY_WINDOW_MS);
    if (taken.status === 'replayed') {
      // RFC 6749 §4.1.2 and §10.5: a second use revokes what the first one issued.
      const issued = taken.issued ?? (await this.issuanceOfRacingUse(hash));
      if (issued) {
        await this.store.revocations.add(issued.access_token_jti, issued.access_token_expires_at);
        if (issued.refresh_family_id) await this.refresh.revokeFamily(issued.refresh_family_id);
      }
      this.audit.record({
        type: 'authorization_code.reuse_detected',
        actor: { type: 'client', id: client.client_id },
        client_id: client.client_id,
        token_id: issued?.access_token_jti ?? null,
        detail: { revoked: issued !== null, refresh_family_id: issued?.refresh_family_id ?? null },
      });
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
    // A login older than the user's token cut-off (revoke-tokens, disable) grants nothing:
    // the same rule as the access-token validator (iat < ceil(cut-off)), applied to auth_time.
    const cutoff = user.tokens_revoked_at ? Date.parse(user.tokens_revoked_at) : null;
    if (cutoff !== null && grant.auth_time < Math.ceil(cutoff / 1000)) throw new InvalidGrantError(REFUSED);
    const scopes = userGrantScopes(grant.scopes, client, await this.users.scopesOf(user));
    const wantsRefresh = (scopes.includes(OFFLINE_ACCESS) || client.always_issue_refresh_token === true) && client.grant_types.includes('refresh_token');
    // RFC 9449 §5: a public client's refresh token is bound to the key of the proof this request carried.
    const familyJkt = client.public ? request.dpopJkt ?? null : null;
    const family = wantsRefresh
      ? await this.refresh.startFamily({ clientId: client.client_id, userId: user.id, scopes, authTime: grant.auth_time, jkt: familyJkt })
      : null;
    const issued = await this.userTokens.issue({
      client,
      user,
      scopes,
      audience: resolveAudience(client, request.resources, this.issuer),
      authTime: grant.auth_time,
      refreshToken: family?.token ?? null,
      familyId: family?.family.family_id ?? null,
      jkt: request.dpopJkt ?? null,
    });
    await this.store.authorizationCodes.recordIssuance(hash, {
      access_token_jti: issued.jti,
      access_token_expires_at: issued.expiresAtMs,
      refresh_family_id: family?.family.family_id ?? null,
    });
    return { response: issued.response, accessToken: issued.accessToken };
  }

  /**
   * The code was used but nothing is recorded as issued yet: either the first
   * use failed (nothing to revoke) or it is still issuing (a concurrent
   * double redemption). Re-reading the used marker has no side effect, so
   * poll briefly for the issuance rather than let the first use's tokens live.
   */
  private async issuanceOfRacingUse(hash: string): Promise<CodeIssuance | null> {
    for (let waited = 0; waited < RACE_WAIT_MS; waited += RACE_POLL_MS) {
      await sleep(RACE_POLL_MS);
      const again = await this.store.authorizationCodes.consume(hash, this.now(), REPLAY_WINDOW_MS);
      if (again.status !== 'replayed') return null;
      if (again.issued) return again.issued;
    }
    return null;
  }
}
