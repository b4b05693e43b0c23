/** RFC 6749 §4.4: the client credentials grant. */
import { InvalidScopeError } from '../errors.js';
import { formatScope, parseScopeParam, scopesOutside } from '../scopes.js';
import type { ClientRecord } from '../../store/store.js';
import type { AccessTokenIssuer, ReservedAccessToken } from '../tokens/access-token.js';
import type { GrantHandler, GrantResult, PreparedGrant, TokenRequest, TokenResponse } from './grant-handler.js';
import { resolveAudience } from './audience.js';

export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';

  constructor(
    private readonly tokens: AccessTokenIssuer,
    private readonly issuer: string,
  ) {}

  async handle(client: ClientRecord, request: TokenRequest): Promise<GrantResult> {
    return this.#issue(client, request, grantedScopes(client, request.params.scope), resolveAudience(client, request.resources, this.issuer));
  }

  /** See GrantHandler.prepare: the refusals of handle() are left to the usual way. */
  prepare(client: ClientRecord, request: TokenRequest): PreparedGrant | undefined {
    let scopes: string[];
    let audience: string[];
    try {
      scopes = grantedScopes(client, request.params.scope);
      audience = resolveAudience(client, request.resources, this.issuer);
    } catch {
      return undefined;
    }
    const reserved = this.tokens.reserve();
    return {
      accessToken: { jti: reserved.jti, subject: client.client_id, scope: scopes.length ? formatScope(scopes) : null },
      refreshToken: false,
      sign: () => this.#issue(client, request, scopes, audience, reserved),
    };
  }

  async #issue(client: ClientRecord, request: TokenRequest, scopes: string[], audience: string[], reserved?: ReservedAccessToken): Promise<GrantResult> {
    const issued = await this.tokens.issue({ subject: client.client_id, clientId: client.client_id, scopes, audience, jkt: request.dpopJkt ?? null, reserved });
    // RFC 6749 §4.4.3: no refresh token for this grant.
    const answer: TokenResponse = { access_token: issued.token, token_type: issued.tokenType, expires_in: issued.expiresIn };
    if (issued.scope !== null) answer.scope = issued.scope;
    return { response: answer, accessToken: issued };
  }
}

/** RFC 6749 §3.3: asked-for scopes must be the client's; none asked means the client's default set. */
export function grantedScopes(client: ClientRecord, scopeParam: string | undefined): string[] {
  const requested = parseScopeParam(scopeParam);
  if (requested === null) return [...(client.default_scopes ?? client.scopes)];
  const outside = scopesOutside(requested, client.scopes);
  if (outside.length) throw new InvalidScopeError(`scope not allowed for this client: ${outside.join(' ')}`);
  return requested;
}
