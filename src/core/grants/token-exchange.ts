/**
 * RFC 8693 token exchange: an API token (`tsp_`) in, a short-lived JWT
 * access token for its owner out. The JWT carries the token's scopes as the
 * owner's roles allow them now, narrowed to what the client may have and to
 * `scope` when asked; never a refresh token (§2.2.1: the API token is the
 * long-lived credential already).
 */
import type { ClientRecord } from '../../store/store.js';
import { InvalidRequestError, InvalidScopeError, InvalidTargetError } from '../errors.js';
import { formatScope, parseScopeParam, scopesOutside } from '../scopes.js';
import type { AccessTokenIssuer } from '../tokens/access-token.js';
import type { ApiTokenUser } from '../api-tokens/api-token-use.js';
import type { GrantHandler, GrantResult, TokenRequest, TokenResponse } from './grant-handler.js';
import { resolveAudience } from './audience.js';
import type { RateLimits } from '../rate-limits.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
// RFC 8693 §3: our access tokens are JWTs, so asking for `jwt` gets the same token.
const ISSUABLE = new Set([ACCESS_TOKEN_TYPE, 'urn:ietf:params:oauth:token-type:jwt']);

/** One answer for every unusable token, so the refusal tells nothing about why (the audit log has the reason). */
export const SUBJECT_REFUSED = 'the subject_token is not a usable API token';

export class TokenExchangeGrant implements GrantHandler {
  readonly grantType = TOKEN_EXCHANGE_GRANT;

  constructor(
    private readonly apiTokens: ApiTokenUser,
    private readonly tokens: AccessTokenIssuer,
    private readonly issuer: string,
    private readonly limits: RateLimits,
  ) {}

  async handle(client: ClientRecord, request: TokenRequest): Promise<GrantResult> {
    const p = request.params;
    if (p.subject_token === undefined) throw new InvalidRequestError('subject_token is required');
    // RFC 8693 §2.2.2: an unsupported token type is invalid_request.
    if (p.subject_token_type !== API_TOKEN_TYPE) throw new InvalidRequestError(`subject_token_type must be ${API_TOKEN_TYPE}`);
    if (p.actor_token !== undefined || p.actor_token_type !== undefined) throw new InvalidRequestError('actor_token is not supported');
    if (p.requested_token_type !== undefined && !ISSUABLE.has(p.requested_token_type)) {
      throw new InvalidRequestError(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    const asked = parseScopeParam(p.scope);
    const audience = this.audience(client, request);

    const use = await this.apiTokens.use(p.subject_token, {
      ip: request.ip, purpose: 'token_exchange', clientId: client.client_id, route: 'POST /oauth/token', scopes: asked ?? undefined,
    });
    // RFC 8693 §2.2.2: an invalid or unacceptable subject_token MUST be invalid_request.
    if (!use.ok) throw new InvalidRequestError(SUBJECT_REFUSED);
    // The token's own limit, else the server's default for API tokens; a use
    // of a token created through another counts against that one's too, so
    // children cannot multiply their parent's allowance.
    for (const record of [use.record, ...use.ancestors]) {
      const own = record.rate_limit;
      const rule = own ? { requests: own.requests, perSeconds: own.per_seconds } : this.limits.policies.apiToken;
      await this.limits.take('api_token', record.id, rule, use.owner.id);
    }

    const clientScopes = new Set(client.scopes);
    const available = use.scopes.filter((s) => clientScopes.has(s));
    if (asked) {
      const outside = scopesOutside(asked, available);
      if (outside.length) throw new InvalidScopeError(`scope not available with this token and client: ${outside.join(' ')}`);
    }
    const scopes = asked ?? available;
    const issued = await this.tokens.issue({
      subject: use.owner.id,
      clientId: client.client_id,
      scopes,
      audience,
      extra: { api_token_id: use.record.id },
      // Never past the API token's own end (nor, through it, its parent's).
      ttl: Math.max(1, Math.min(this.tokens.ttl, Math.floor((use.record.expires_at - Date.now()) / 1000))),
      // RFC 9449 §5: an exchange with a DPoP proof yields a token bound to that key.
      jkt: request.dpopJkt ?? null,
    });
    const answer: TokenResponse = {
      access_token: issued.token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: issued.tokenType,
      expires_in: issued.expiresIn,
    };
    if (scopes.length) answer.scope = formatScope(scopes);
    return { response: answer, accessToken: issued };
  }

  /** RFC 8693 §2.1: `resource` (URIs) and `audience` (names) both name targets; each must be one of the client's audiences. */
  private audience(client: ClientRecord, request: TokenRequest): string[] {
    const names = request.audiences ?? [];
    const allowed = client.audiences.length ? client.audiences : [this.issuer];
    for (const a of names) {
      if (!allowed.includes(a)) throw new InvalidTargetError('audience is not one this client may ask for');
    }
    const fromResources = request.resources.length ? resolveAudience(client, request.resources, this.issuer) : [];
    if (names.length === 0 && fromResources.length === 0) return [...allowed];
    return [...new Set([...fromResources, ...names])];
  }
}
