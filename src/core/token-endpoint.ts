/**
 * RFC 6749 §3.2: the token endpoint, without HTTP. Authenticates the client,
 * picks the grant handler and checks the client may use it.
 */
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './errors.js';
import type { ClientService, PresentedClient } from './clients/client-service.js';
import type { GrantRegistry, TokenRequest, TokenResponse } from './grants/grant-handler.js';

export class TokenEndpoint {
  constructor(
    private readonly clients: ClientService,
    private readonly grants: GrantRegistry,
  ) {}

  async handle(presented: PresentedClient, request: TokenRequest): Promise<TokenResponse> {
    const grantType = request.params.grant_type;
    if (!grantType) throw new InvalidRequestError('grant_type is required');
    const client = await this.clients.authenticate(presented);
    const handler = this.grants.get(grantType);
    if (!handler) throw new UnsupportedGrantTypeError(`grant_type ${grantType} is not supported`);
    if (!client.grant_types.includes(grantType)) {
      throw new UnauthorizedClientError(`this client may not use grant_type ${grantType}`);
    }
    return handler.handle(client, request);
  }
}
