/**
 * RFC 6749 §6: the refresh_token grant, with rotation, reuse detection and a
 * grace window for retries (RFC 9700 §4.14.2).
 */
import type { ClientRecord, PeekThenTake, RefreshFamilyRecord, Store, UserRecord } from '../../store/store.js';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.js';
import type { AuditSink } from '../audit.js';
import { parseScopeParam, scopesOutside } from '../scopes.js';
import { refreshTokenRef, type RefreshTokenRef, type RefreshTokenService, type Rotation } from '../tokens/refresh-tokens.js';
import type { ReservedAccessToken } from '../tokens/access-token.js';
import type { UserService } from '../users/user-service.js';
import type { GrantHandler, GrantLimits, GrantResult, TokenRequest } from './grant-handler.js';
import { resolveAudience } from './audience.js';
import { userGrantScopes, type UserTokenIssuer } from './user-tokens.js';

const REFUSED = 'the refresh token is invalid, expired, revoked or was issued to another client';
const KEY_BOUND = 'the refresh token is bound to a DPoP key; send a DPoP proof made with that key';

type LiveToken = Awaited<ReturnType<RefreshTokenService['lookup']>>;

/** The lookup of a presented token, started by prefetch() before the client was authenticated. */
class StartedLookup {
  constructor(readonly presented: string, readonly ref: RefreshTokenRef, readonly live: Promise<LiveToken>) {
    // Awaited by handle(), or dropped when the client's authentication fails first.
    live.catch(() => undefined);
  }
}

export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';

  constructor(
    private readonly refresh: RefreshTokenService,
    private readonly users: UserService,
    private readonly store: Store,
    private readonly userTokens: UserTokenIssuer,
    private readonly audit: AuditSink,
    private readonly issuer: string,
  ) {}

  /** The family read, which needs no client, goes out with the client's authentication. */
  prefetch(request: TokenRequest): StartedLookup | undefined {
    const presented = request.params.refresh_token;
    const ref = presented === undefined ? null : refreshTokenRef(presented);
    return ref ? new StartedLookup(presented!, ref, this.refresh.lookup(presented!, ref)) : undefined;
  }

  async handle(client: ClientRecord, request: TokenRequest, prefetched?: unknown): Promise<GrantResult> {
    const presented = request.params.refresh_token;
    if (presented === undefined) throw new InvalidRequestError('refresh_token is required');
    const started = prefetched instanceof StartedLookup && prefetched.presented === presented ? prefetched : null;
    // The token's family and hash, computed once for the lookup and the rotation.
    const ref = started ? started.ref : refreshTokenRef(presented);
    const live = await (started ? started.live : this.refresh.lookup(presented, ref));

    // The successor's scopes: the ones asked, or the live token's.
    let kept: readonly string[] = [];
    let user: UserRecord | null = null;
    if (live) {
      // Bound to its client (RFC 6749 §6): another client's attempt changes nothing.
      if (live.family.client_id !== client.client_id) throw new InvalidGrantError(REFUSED);
      assertKeyBinding(live.family, request);
      user = this.#cachedActiveUser(live.family) ?? await this.#activeUser(live.family);
      const asked = parseScopeParam(request.params.scope);
      // RFC 6749 §6: a refresh may narrow the scope, never add to the original grant.
      if (asked) assertWithinGrant(asked, live.family);
      kept = asked ?? live.token.scopes;
    }

    // The access token's id is fixed now, so the rotation records it on the family in the same store step.
    const reserved = this.userTokens.reserve();
    const rotation = await this.refresh.rotate(presented, client.client_id, kept, { jti: reserved.jti, expires_at: reserved.expiresAtMs }, ref, live?.family ?? null);
    return this.#issue(client, request, rotation, reserved, user, kept);
  }

  /**
   * The refresh in one store step (GrantHandler.handleLimited): the store
   * checks what handle() checks on the family before it consumes the token
   * (its client, its key binding, the scope asked: RotationChecks) and
   * keeps the scopes asked, or the live token's; the user is checked once
   * the family is known, which ends the family as handle() would.
   */
  handleLimited(client: ClientRecord, request: TokenRequest, limits: GrantLimits, settle: (outcome: PeekThenTake) => void): Promise<GrantResult> | undefined {
    const presented = request.params.refresh_token;
    const ref = presented === undefined ? null : refreshTokenRef(presented);
    if (!ref) return undefined;
    let asked: string[] | null;
    try {
      asked = parseScopeParam(request.params.scope);
    } catch {
      // A malformed scope is refused the usual way, after the token's lookup.
      return undefined;
    }
    const reserved = this.userTokens.reserve();
    const checks = { asked, jkt: request.dpopJkt ?? null };
    const started = this.refresh.rotateLimited(presented!, ref, client.client_id, checks, { jti: reserved.jti, expires_at: reserved.expiresAtMs }, limits);
    return started?.then(({ limits: counted, rotation }) => {
      settle(counted);
      // settle() threw unless both limits allowed, and then the store rotated: a missing rotation is a store fault, refused as the token.
      if (!rotation) throw new InvalidGrantError(REFUSED);
      return this.#issue(client, request, rotation, reserved, null, null, asked);
    });
  }

  /**
   * After the rotation: the answer to a reuse, a refusal, or the tokens.
   * `user`: checked before the rotation (handle()), or null; `kept`: the
   * successor's scopes when the caller chose them, or null (the store did).
   */
  async #issue(
    client: ClientRecord, request: TokenRequest, rotation: Rotation, reserved: ReservedAccessToken,
    user: UserRecord | null, kept: readonly string[] | null, asked: readonly string[] | null = null,
  ): Promise<GrantResult> {
    if (rotation.outcome === 'reuse') {
      await this.refresh.revokeAccessTokens(rotation.accessTokens);
      this.audit.record({
        type: 'refresh_token.reuse_detected',
        actor: { type: 'client', id: client.client_id },
        subject: rotation.family.user_id,
        token_id: rotation.family.family_id,
        client_id: client.client_id,
        detail: { revoked_access_tokens: rotation.accessTokens.length },
      });
      throw new InvalidGrantError(REFUSED);
    }
    if (rotation.outcome === 'key_bound') throw new InvalidGrantError(KEY_BOUND);
    if (rotation.outcome === 'scope_outside') assertWithinGrant(asked ?? [], rotation.family);
    if (rotation.outcome !== 'rotated' && rotation.outcome !== 'grace') throw new InvalidGrantError(REFUSED);

    const family = rotation.family;
    let scopes: readonly string[];
    if (rotation.outcome === 'rotated') {
      // Checked before the rotation, or now that the family is known.
      user ??= this.#cachedActiveUser(family) ?? await this.#activeUser(family);
      scopes = kept ?? rotation.scopes ?? [];
    } else {
      // A grace retry (its token already consumed) reads the user now.
      user = await this.store.users.get(family.user_id);
      if (!user || user.disabled) throw new InvalidGrantError(REFUSED);
      // A retry: the successor's scopes were fixed by the first rotation.
      const again = await this.refresh.lookup(rotation.token);
      if (!again) throw new InvalidGrantError(REFUSED);
      // A retry must prove the key too, or a stolen consumed token would fetch its successor.
      assertKeyBinding(again.family, request);
      scopes = again.token.scopes;
    }
    const { response, accessToken } = await this.userTokens.issue({
      client,
      user,
      // A token never grants more than the client and the user's roles allow now.
      scopes: userGrantScopes(scopes, client, this.users.cachedScopesOf(user) ?? await this.users.scopesOf(user)),
      audience: resolveAudience(client, request.resources, this.issuer),
      authTime: family.auth_time,
      refreshToken: rotation.token,
      familyId: family.family_id,
      jkt: request.dpopJkt ?? null,
      reserved,
    });
    return { response, accessToken };
  }

  /** The family's user, when the family may still be used: it ends with the user (deleted, disabled, or tokens revoked after it began). */
  async #activeUser(family: RefreshFamilyRecord): Promise<UserRecord> {
    const user = await this.store.users.get(family.user_id);
    if (!mayStillUse(user, family)) {
      await this.refresh.revokeFamily(family.family_id);
      throw new InvalidGrantError(REFUSED);
    }
    return user;
  }

  /**
   * The family's user as the process holds it (UserRepository.cached), with
   * no promise, when the family may still be used; undefined otherwise: then
   * #activeUser() reads the user and ends the family if it may not.
   */
  #cachedActiveUser(family: RefreshFamilyRecord): UserRecord | undefined {
    const user = this.store.users.cached?.(family.user_id);
    return user !== undefined && mayStillUse(user, family) ? user : undefined;
  }
}

/** Whether the family may still be used with its user: it ends with the user (deleted, disabled, or tokens revoked after it began). */
function mayStillUse(user: UserRecord | null, family: RefreshFamilyRecord): user is UserRecord {
  const cutoff = user?.tokens_revoked_at ? Date.parse(user.tokens_revoked_at) : null;
  return user !== null && !user.disabled && !(cutoff !== null && family.created_at <= cutoff);
}

/** RFC 6749 §6: a refresh may narrow the scope, never add to the original grant. */
function assertWithinGrant(asked: readonly string[], family: RefreshFamilyRecord): void {
  const outside = scopesOutside(asked, family.scopes);
  if (outside.length) throw new InvalidScopeError(`scope was not in the original grant: ${outside.join(' ')}`);
}

/** RFC 9449 §5: a refresh token bound to a key is used only with a DPoP proof made by that key. */
function assertKeyBinding(family: RefreshFamilyRecord, request: TokenRequest): void {
  if (family.jkt !== undefined && family.jkt !== request.dpopJkt) throw new InvalidGrantError(KEY_BOUND);
}
