/**
 * RFC 6749 §3.2: the token endpoint, without HTTP. Authenticates the client,
 * picks the grant handler and checks the client may use it. Rate limits:
 * an address with too many failed client authentications is refused before
 * its credentials are checked; each client has its own allowance.
 */
import { decodeJwt } from 'jose';
import { InvalidClientError, InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './errors.js';
import type { RateLimits } from './rate-limits.js';
import { requestContext, type AuditSink } from './audit.js';
import type { ClientService, PresentedClient } from './clients/client-service.js';
import type { GrantRegistry, TokenRequest, TokenResponse } from './grants/grant-handler.js';

export class TokenEndpoint {
  constructor(
    private readonly clients: ClientService,
    private readonly grants: GrantRegistry,
    private readonly audit: AuditSink,
    private readonly limits: RateLimits,
  ) {}

  async handle(presented: PresentedClient, request: TokenRequest): Promise<TokenResponse> {
    const grantType = request.params.grant_type;
    if (!grantType) throw new InvalidRequestError('grant_type is required');
    const failures = this.limits.policies.authFailures;
    let client;
    try {
      // The address's failure count is read with the client record (one Redis
      // round trip once pipelined); an address over its limit is refused
      // before its secret is checked, so it cannot make us run scrypt.
      client = await this.clients.authenticate(presented, this.limits.check('auth_failures', request.ip, failures));
    } catch (err) {
      if (err instanceof InvalidClientError) {
        await this.limits.count('auth_failures', request.ip, failures);
        this.audit.record({ type: 'client.authentication_failed', actor: { type: 'anonymous', id: null }, client_id: presented.clientId.slice(0, 128) || null });
      }
      throw err;
    }
    await this.limits.take('client', client.client_id, this.limits.policies.client, client.client_id);
    const handler = this.grants.get(grantType);
    if (!handler) throw new UnsupportedGrantTypeError(`grant_type ${grantType} is not supported`);
    if (!client.grant_types.includes(grantType)) {
      throw new UnauthorizedClientError(`this client may not use grant_type ${grantType}`);
    }
    const answer = await handler.handle(client, request);
    // The token is our own, just signed: its claims name what was issued (ids only, never the token).
    const claims = decodeJwt(answer.access_token);
    const context = requestContext.getStore();
    if (context && typeof claims.jti === 'string') context.tokenId = claims.jti;
    this.audit.record({
      type: 'token.issued',
      actor: { type: 'client', id: client.client_id },
      subject: typeof claims.sub === 'string' ? claims.sub : null,
      token_id: typeof claims.jti === 'string' ? claims.jti : null,
      client_id: client.client_id,
      detail: {
        grant_type: grantType,
        scope: typeof claims.scope === 'string' ? claims.scope : '',
        refresh_token: answer.refresh_token !== undefined,
        ...(typeof claims.api_token_id === 'string' ? { api_token_id: claims.api_token_id } : {}),
      },
    });
    return answer;
  }
}
