/**
 * A grant type at the token endpoint (fosite's handler pattern: one handler
 * per grant, looked up in a registry). Handlers get an authenticated client
 * and the parsed parameters, and return the RFC 6749 §5.1 answer.
 */
import type { ClientRecord } from '../../store/store.js';

export interface TokenRequest {
  /** Single-valued parameters (RFC 6749 §3.2: none may repeat). */
  params: Readonly<Record<string, string>>;
  /** RFC 8707 `resource`, the one parameter that may repeat. */
  resources: readonly string[];
  /** RFC 8693 `audience`, which may repeat too (token exchange only). */
  audiences?: readonly string[];
  /** The caller's address as the HTTP layer sees it. */
  ip: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'N_A';
  expires_in: number;
  /** Omitted when nothing was granted: RFC 6749 §3.3 has no empty scope value. */
  scope?: string;
  refresh_token?: string;
  issued_token_type?: string;
}

export interface GrantHandler {
  readonly grantType: string;
  handle(client: ClientRecord, request: TokenRequest): Promise<TokenResponse>;
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
