/** How a client authenticates (RFC 7591 §2 `token_endpoint_auth_method`), older records included. */
import type { ClientRecord, TokenEndpointAuthMethod } from '../../store/store.js';

export function authMethodOf(c: Pick<ClientRecord, 'public' | 'token_endpoint_auth_method'>): TokenEndpointAuthMethod {
  return c.token_endpoint_auth_method ?? (c.public ? 'none' : 'client_secret_basic');
}

/** Whether the client proves itself with its secret (Basic or in the body: either is accepted, RFC 6749 §2.3.1). */
export function usesSecret(method: TokenEndpointAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}
