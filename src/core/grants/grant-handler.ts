/**
 * A grant type at the token endpoint (fosite's handler pattern: one handler
 * per grant, looked up in a registry). Handlers get an authenticated client
 * and the parsed parameters, and return the RFC 6749 §5.1 answer.
 */
import type { ClientRecord, PeekThenTake, RotationLimits } from '../../store/store.js';
import type { FederatedIdentity } from '../federation/federated-assertions.js';
import type { IssuedAccessToken } from '../tokens/access-token.js';

export interface TokenRequest {
  /** Single-valued parameters (RFC 6749 §3.2: none may repeat). */
  params: Readonly<Record<string, string>>;
  /** RFC 8707 `resource`, the one parameter that may repeat. */
  resources: readonly string[];
  /** RFC 8693 `audience`, which may repeat too (token exchange only). */
  audiences?: readonly string[];
  /** The caller's address as the HTTP layer sees it. */
  ip: string;
  /** The request's DPoP proof, as sent (RFC 9449 §5); checked by the token endpoint. */
  dpopProof?: string;
  /** The key a checked DPoP proof binds the issued tokens to (its RFC 7638 thumbprint), set by the token endpoint. */
  dpopJkt?: string | null;
  /** The JWT bearer grant's verified external identity, when its assertion authenticated the request. */
  federated?: FederatedIdentity;
}

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5.1: `DPoP` for a DPoP-bound access token. */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  /** Omitted when nothing was granted: RFC 6749 §3.3 has no empty scope value. */
  scope?: string;
  refresh_token?: string;
  issued_token_type?: string;
}

/** handleLimited()'s limits, the ones the store step counts (RotationLimits): `peek` refused before anything counts, `take` taken only when the peek allows, at the rate limits' clock. */
export type GrantLimits = RotationLimits;

/** A grant's answer and the access token in it as issued (its claims), so nobody decodes the token just signed. */
export interface GrantResult {
  response: TokenResponse;
  accessToken: IssuedAccessToken;
}

/** What a grant will issue, known before it signs (GrantHandler.prepare). */
export interface PreparedGrant {
  /** The access token as it will be signed: its id, subject and scope (null: none granted). */
  accessToken: { jti: string; subject: string; scope: string | null };
  /** Whether the answer carries a refresh token. */
  refreshToken: boolean;
  /** Signs the token: the answer handle() would have given. */
  sign(): Promise<GrantResult>;
}

export interface GrantHandler {
  readonly grantType: string;
  /**
   * `prefetched`: what this handler's prefetch() returned for the request,
   * when it has one and the token endpoint called it.
   */
  handle(client: ClientRecord, request: TokenRequest, prefetched?: unknown): Promise<GrantResult>;
  /**
   * Starts store reads that do not depend on the client, before the client
   * is authenticated, so that they travel to the store with the client's
   * authentication and allowance (one round trip instead of two). Reads
   * only: nothing is written, and what they find is used by handle() only
   * once the client is authenticated and allowed the grant; dropped
   * otherwise (never an unhandled rejection).
   */
  prefetch?(request: TokenRequest): unknown;
  /**
   * The grant in one store step with the token endpoint's rate limits, for
   * a client the endpoint proved without the store (its record held in the
   * process, a generated secret): the address's failed authentications
   * peeked, the client's allowance taken and the grant's own write, in one
   * command. `settle` applies the limits' outcome (it throws when one
   * refused) before the grant goes on. undefined, with nothing sent, when
   * the grant or the store cannot do this for the request: the endpoint
   * then goes the usual way.
   */
  handleLimited?(client: ClientRecord, request: TokenRequest, limits: GrantLimits, settle: (outcome: PeekThenTake) => void): Promise<GrantResult> | undefined;
  /**
   * For a grant with no store step of its own (client credentials): what it
   * will issue, before it signs, so that the token endpoint counts the
   * limits and records the issuance's audit event in one store command
   * (AuditSink.recordLimited), and signs while that command is out.
   * undefined, with nothing reserved, when the request is to be refused (a
   * scope or resource the client may not have): the endpoint then goes the
   * usual way, which refuses it after counting.
   */
  prepare?(client: ClientRecord, request: TokenRequest): PreparedGrant | undefined;
  /**
   * For grants whose assertion authenticates on its own (RFC 7521 §4.1),
   * used when the request carries no client credentials: the client the
   * assertion names (which must be `claimedClientId` when one was sent).
   */
  authenticate?(claimedClientId: string | null, request: TokenRequest): Promise<{ client: ClientRecord; request: TokenRequest }>;
}

export class GrantRegistry {
  private readonly handlers = new Map<string, GrantHandler>();

  register(handler: GrantHandler): this {
    this.handlers.set(handler.grantType, handler);
    return this;
  }

  get(grantType: string): GrantHandler | undefined {
    return this.handlers.get(grantType);
  }

  /** For RFC 8414 `grant_types_supported`. */
  grantTypes(): string[] {
    return [...this.handlers.keys()];
  }
}
