/**
 * RFC 7523 §2.1: the JWT bearer grant, for federated workload identity. A
 * workload trades a token its platform issued it (GitHub Actions, a
 * Kubernetes service account, ...) for a short-lived access token of
 * Tessera, under a trust policy (src/core/federation). The assertion is the
 * credential: the request needs no client authentication (RFC 7521 §4.1),
 * and the policy names the client; a request that does authenticate a
 * client (or names one with `client_id`) must be that client. No refresh
 * token: the platform's token is the credential to come back with.
 */
import type { ClientRecord } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.js';
import { FederationRefused, type FederatedAssertions, type FederatedIdentity } from '../federation/federated-assertions.js';
import { JWT_BEARER_GRANT } from '../federation/trust-policy-service.js';
import { formatScope, parseScopeParam, scopesOutside } from '../scopes.js';
import type { AccessTokenIssuer } from '../tokens/access-token.js';
import { resolveAudience } from './audience.js';
import type { GrantHandler, GrantResult, TokenRequest, TokenResponse } from './grant-handler.js';

export { JWT_BEARER_GRANT };

export class JwtBearerGrant implements GrantHandler {
  readonly grantType = JWT_BEARER_GRANT;

  constructor(
    private readonly federation: FederatedAssertions,
    private readonly clients: { get(clientId: string): Promise<ClientRecord | null> },
    private readonly tokens: AccessTokenIssuer,
    private readonly audit: AuditSink,
    private readonly issuer: string,
  ) {}

  /**
   * RFC 7521 §4.1: the assertion authenticates on its own. The client its
   * trust policy names (which must be `claimedClientId` when one was sent),
   * and the request carrying the verified identity.
   */
  async authenticate(claimedClientId: string | null, request: TokenRequest): Promise<{ client: ClientRecord; request: TokenRequest }> {
    const identity = await this.#verify(request);
    const client = await this.clients.get(identity.policy.client_id);
    if (!client) throw this.#refused(new FederationRefused('no_policy', 'the trust policy names a client that does not exist'), identity);
    if (claimedClientId !== null && claimedClientId !== client.client_id) {
      throw this.#refused(new FederationRefused('no_policy', 'the assertion\'s trust policy is for another client'), identity);
    }
    return { client, request: { ...request, federated: identity } };
  }

  async handle(client: ClientRecord, request: TokenRequest): Promise<GrantResult> {
    const identity = request.federated ?? (await this.#verify(request));
    // A client that authenticated itself may only use the policies made for it.
    if (identity.policy.client_id !== client.client_id) {
      throw this.#refused(new FederationRefused('no_policy', 'the assertion\'s trust policy is for another client'), identity);
    }
    const scopes = this.#scopes(identity, client, request.params.scope);
    const audience = resolveAudience(client, request.resources, this.issuer);
    // Last, so that a refused request does not use the external token up.
    try {
      await this.federation.claim(identity);
    } catch (err) {
      if (err instanceof FederationRefused) throw this.#refused(err, identity);
      throw err;
    }
    const issued = await this.tokens.issue({ subject: identity.subject, clientId: client.client_id, scopes, audience, jkt: request.dpopJkt ?? null });
    this.audit.record({
      type: 'federation.token_exchanged',
      actor: { type: 'client', id: client.client_id },
      subject: identity.subject,
      token_id: issued.jti,
      client_id: client.client_id,
      detail: { trust_policy: identity.policy.id, external: this.#external(identity) },
    });
    const answer: TokenResponse = { access_token: issued.token, token_type: issued.tokenType, expires_in: issued.expiresIn };
    if (scopes.length) answer.scope = formatScope(scopes);
    return { response: answer, accessToken: issued };
  }

  async #verify(request: TokenRequest): Promise<FederatedIdentity> {
    const assertion = request.params.assertion;
    // RFC 7523 §2.1: exactly one JWT in `assertion`.
    if (assertion === undefined) throw new InvalidRequestError('assertion is required');
    try {
      return await this.federation.verify(assertion);
    } catch (err) {
      if (err instanceof FederationRefused) throw this.#refused(err, null);
      throw err;
    }
  }

  /** What the policy grants, the client may have, and (narrowed by `scope`) was asked for. */
  #scopes(identity: FederatedIdentity, client: ClientRecord, scopeParam: string | undefined): string[] {
    const clientScopes = new Set(client.scopes);
    const available = identity.policy.scopes.filter((s) => clientScopes.has(s));
    const asked = parseScopeParam(scopeParam);
    if (asked === null) return available;
    const outside = scopesOutside(asked, available);
    if (outside.length) throw new InvalidScopeError(`scope not granted by the trust policy: ${outside.join(' ')}`);
    return asked;
  }

  /** The external token's identifying claims, for the audit log (never the token itself). */
  #external(identity: FederatedIdentity): Record<string, unknown> {
    const c = identity.claims;
    return { iss: c.iss, sub: c.sub, ...(typeof c.jti === 'string' ? { jti: c.jti } : {}) };
  }

  #refused(err: FederationRefused, identity: FederatedIdentity | null): InvalidGrantError {
    this.audit.record({
      type: 'federation.assertion_refused',
      actor: { type: 'anonymous', id: null },
      detail: { reason: err.reason, ...(identity ? { trust_policy: identity.policy.id, external: this.#external(identity) } : {}) },
    });
    return err;
  }
}
