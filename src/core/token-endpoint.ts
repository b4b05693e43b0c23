/**
 * RFC 6749 §3.2: the token endpoint, without HTTP. Authenticates the client
 * (with the limit on failed authentications per address:
 * clients/client-authenticator.ts), picks the grant handler and checks the
 * client may use it; each client has its own allowance.
 */
import { InvalidGrantError, InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './errors.js';
import type { ClientRecord } from '../store/store.js';
import type { RateLimits } from './rate-limits.js';
import { requestContext, type AuditEvent, type AuditSink } from './audit.js';
import type { PresentedClient } from './clients/client-service.js';
import type { ClientAuthenticator } from './clients/client-authenticator.js';
import type { GrantHandler, GrantRegistry, GrantResult, TokenRequest, TokenResponse } from './grants/grant-handler.js';
import type { IssuedAccessToken } from './tokens/access-token.js';
import type { DpopChecker } from './dpop/dpop-checker.js';

export class TokenEndpoint {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly grants: GrantRegistry,
    private readonly audit: AuditSink,
    private readonly limits: RateLimits,
    private readonly dpop: DpopChecker,
  ) {}

  async handle(presented: PresentedClient, request: TokenRequest): Promise<TokenResponse> {
    const grantType = request.params.grant_type;
    if (!grantType) throw new InvalidRequestError('grant_type is required');
    const handler = this.grants.get(grantType);
    const inOneStep = handler?.handleLimited ? this.#inOneStep(handler, grantType, presented, request) : undefined;
    if (inOneStep) {
      const { response, accessToken } = await inOneStep.result;
      return this.#issued(inOneStep.client, grantType, null, response, accessToken);
    }
    const prepared = handler?.prepare ? this.#countedWhileSigning(handler, grantType, presented, request) : undefined;
    if (prepared) return prepared;
    const prefetched = handler?.prefetch?.(request);
    let client: ClientRecord;
    if (handler?.authenticate && presented.method === 'none') {
      ({ client, request } = await this.#assertionAuthenticated(handler, presented, request));
      await this.limits.take('client', client.client_id, this.limits.policies.client, client.client_id);
    } else {
      client = await this.#authenticateAndTake(presented, request.ip);
    }
    if (!handler) throw new UnsupportedGrantTypeError(`grant_type ${grantType} is not supported`);
    if (!client.grant_types.includes(grantType)) {
      throw new UnauthorizedClientError(`this client may not use grant_type ${grantType}`);
    }
    // RFC 9449 §5: a proof binds what this request is issued to the client's key.
    const binding = this.dpop.forTokenRequest(request.dpopProof, client);
    const dpopJkt = binding === null ? null : await binding;
    const { response, accessToken } = await handler.handle(client, { ...request, dpopJkt }, prefetched);
    return this.#issued(client, grantType, dpopJkt, response, accessToken);
  }

  /** Records the audit event of what was issued (issuedEvent()) and answers. */
  #issued(client: ClientRecord, grantType: string, dpopJkt: string | null, answer: TokenResponse, issued: IssuedAccessToken): TokenResponse {
    const context = requestContext.getStore();
    if (context) context.tokenId = issued.jti;
    this.audit.record(issuedEvent(client, grantType, dpopJkt, issued, answer.refresh_token !== undefined, issued.claims.api_token_id));
    return answer;
  }

  /**
   * A grant with no store step of its own (GrantHandler.prepare: client
   * credentials), for a client proved without the store and a request as
   * #inOneStep takes them: the address's failed authentications, the
   * client's allowance and the issuance's audit event are one store command
   * (AuditSink.recordLimited), and the token is signed while it is out
   * (after it has left: the store's connection sends a turn's commands from
   * a setImmediate queued before this one). It is answered only when both
   * limits allowed, with the usual way's refusals; a refused request has
   * cost a signature, which the usual way spares it, but only a caller that
   * proved the client's secret gets that far. The event is stored before
   * the token is signed: signing with a key the ring holds fails only on a
   * fault, and then the request fails with an event for a token nobody
   * received. undefined when this does not apply, with nothing counted: the
   * usual way follows.
   */
  #countedWhileSigning(handler: GrantHandler, grantType: string, presented: PresentedClient, request: TokenRequest): Promise<TokenResponse> | undefined {
    const client = this.audit.recordLimited ? this.#provedForOneStep(grantType, presented, request) : null;
    if (!client) return undefined;
    const prepared = handler.prepare!(client, { ...request, dpopJkt: null });
    if (!prepared) return undefined;
    const { limits, settle } = this.#limitsInStep(client, request);
    const counted = this.audit.recordLimited!(issuedEvent(client, grantType, null, prepared.accessToken, prepared.refreshToken, undefined), limits);
    const signed = new Promise<void>((resolve) => setImmediate(resolve)).then(() => prepared.sign());
    // Either may settle first; each is awaited below unless the other failed.
    signed.catch(() => undefined);
    return counted.then(async (outcome) => {
      settle(outcome);
      const { response, accessToken } = await signed;
      const context = requestContext.getStore();
      if (context) context.tokenId = accessToken.jti;
      return response;
    });
  }

  /**
   * The client of a request that may go in one store step: proved without
   * the store (ClientAuthenticator.provedFromCache), allowed the grant, and
   * with no DPoP proof to check (RFC 9449 §5), nor one it must send; else
   * null, with nothing counted.
   */
  #provedForOneStep(grantType: string, presented: PresentedClient, request: TokenRequest): ClientRecord | null {
    if (request.dpopProof !== undefined) return null;
    const client = this.clients.provedFromCache(presented);
    if (!client || client.dpop_bound_access_tokens || !client.grant_types.includes(grantType)) return null;
    return client;
  }

  /** The address's failed authentications and the client's allowance, for a store step that counts them (RateLimits.checkedInStep). */
  #limitsInStep(client: ClientRecord, request: TokenRequest): ReturnType<RateLimits['checkedInStep']> {
    return this.limits.checkedInStep(
      { policy: 'auth_failures', key: request.ip, rule: this.limits.policies.authFailures }, 'client', client.client_id, this.limits.policies.client, client.client_id,
    );
  }

  /**
   * The grant in one store command (GrantHandler.handleLimited), when the
   * client is proved without the store (ClientAuthenticator.provedFromCache:
   * its record held in the process, a generated secret), may use the grant,
   * and has no DPoP proof to check (RFC 9449 §5; nor must it send one). The
   * address's failed authentications and the client's allowance are counted
   * in the grant's own store step, as #authenticateAndTake counts them in a
   * step of their own: the same refusals, in the same order. undefined when
   * this does not apply, with nothing counted: the usual way follows.
   */
  #inOneStep(handler: GrantHandler, grantType: string, presented: PresentedClient, request: TokenRequest): { client: ClientRecord; result: Promise<GrantResult> } | undefined {
    const client = this.#provedForOneStep(grantType, presented, request);
    if (!client) return undefined;
    const { limits, settle } = this.#limitsInStep(client, request);
    const result = handler.handleLimited!(client, { ...request, dpopJkt: null }, limits, settle);
    return result ? { client, result } : undefined;
  }

  /**
   * Client authentication and the client's allowance in one store command:
   * the address's failure-count check and the allowance of the client the
   * request names are one script (RateLimits.beginChecked; the allowance is
   * taken only when the address is within its own), sent in the same tick
   * as the client read (on a Cluster the keys are in different slots, so
   * they are two commands, still sent together and answered per node). The
   * client's record usually comes from the in-process cache, so that read
   * costs nothing. The request counts against the client only once it
   * proved to be the client: a failed authentication gives the allowance
   * back, so others cannot spend a client's allowance by naming it (beyond
   * the moment the refund takes).
   */
  async #authenticateAndTake(presented: PresentedClient, ip: string): Promise<ClientRecord> {
    const rule = this.limits.policies.client;
    const begun = presented.clientId
      ? this.limits.beginChecked({ policy: 'auth_failures', key: ip, rule: this.limits.policies.authFailures }, 'client', presented.clientId, rule, presented.clientId)
      : null;
    const pending = begun?.take ?? null;
    let client: ClientRecord;
    try {
      client = await this.clients.authenticate(presented, ip, begun?.checked);
    } catch (err) {
      if (pending) void pending.cancel().catch(() => undefined);
      throw err;
    }
    if (pending && client.client_id === presented.clientId) {
      await pending.settle();
    } else {
      // Not the client named (cannot happen for the methods above): count against the one that authenticated.
      if (pending) void pending.cancel().catch(() => undefined);
      await this.limits.take('client', client.client_id, rule, client.client_id);
    }
    return client;
  }

  /**
   * A grant whose assertion is the credential (the JWT bearer grant, RFC
   * 7521 §4.1) and a request with no client credentials: the assertion
   * decides the client. Like a failed client authentication, a refused
   * assertion counts against the address's `auth_failures` allowance, which
   * is checked before anything is verified or fetched.
   */
  async #assertionAuthenticated(handler: GrantHandler, presented: PresentedClient, request: TokenRequest): Promise<{ client: ClientRecord; request: TokenRequest }> {
    const rule = this.limits.policies.authFailures;
    await this.limits.check('auth_failures', request.ip, rule);
    try {
      const found = await handler.authenticate!(presented.clientId === '' ? null : presented.clientId, request);
      const context = requestContext.getStore();
      if (context) context.clientId = found.client.client_id;
      return found;
    } catch (err) {
      if (err instanceof InvalidGrantError) await this.limits.reserve('auth_failures', request.ip, rule);
      throw err;
    }
  }
}

/**
 * The audit event of what was issued, as the grant signs it (ids only,
 * never the token): no decoding of the token just signed.
 */
function issuedEvent(
  client: ClientRecord, grantType: string, dpopJkt: string | null,
  issued: Pick<IssuedAccessToken, 'jti' | 'subject' | 'scope'>, refreshToken: boolean, apiTokenId: unknown,
): AuditEvent {
  return {
    type: 'token.issued',
    actor: { type: 'client', id: client.client_id },
    subject: issued.subject,
    token_id: issued.jti,
    client_id: client.client_id,
    detail: {
      grant_type: grantType,
      scope: issued.scope ?? '',
      refresh_token: refreshToken,
      ...(dpopJkt ? { dpop_jkt: dpopJkt } : {}),
      ...(typeof apiTokenId === 'string' ? { api_token_id: apiTokenId } : {}),
    },
  };
}
