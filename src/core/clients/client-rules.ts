/** Consistency rules a client must satisfy whichever way it was written. */
import { InvalidRequestError } from '../errors.js';
import type { ClientRecord } from '../../store/store.js';
import { scopesOutside } from '../scopes.js';
import { authMethodOf } from './auth-method.js';

export function assertClientConsistent(c: Omit<ClientRecord, 'created_at' | 'updated_at' | 'secret_rotated_at'>): void {
  // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
  if (c.public && c.grant_types.includes('client_credentials')) {
    throw new InvalidRequestError('a public client cannot use the client_credentials grant');
  }
  // RFC 8693 exchange at this server authenticates the client too.
  if (c.public && c.grant_types.includes('urn:ietf:params:oauth:grant-type:token-exchange')) {
    throw new InvalidRequestError('a public client cannot use token exchange');
  }
  // RFC 6749 §3.1.2.2: clients using the authorization endpoint register their redirect URIs.
  if (c.grant_types.includes('authorization_code') && c.redirect_uris.length === 0) {
    throw new InvalidRequestError('a client with the authorization_code grant needs at least one redirect_uri');
  }
  if (c.always_issue_refresh_token && !c.grant_types.includes('refresh_token')) {
    throw new InvalidRequestError('always_issue_refresh_token needs the refresh_token grant');
  }
  const method = authMethodOf(c);
  // RFC 7591 §2: `none` is the method of a public client, and only of one.
  if (c.public !== (method === 'none')) {
    throw new InvalidRequestError(c.public ? 'a public client has token_endpoint_auth_method none' : 'token_endpoint_auth_method none is for public clients');
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  const hasJwks = c.jwks !== undefined && c.jwks !== null;
  const hasJwksUri = c.jwks_uri !== undefined && c.jwks_uri !== null;
  if (method === 'private_key_jwt' && hasJwks === hasJwksUri) {
    throw new InvalidRequestError('a private_key_jwt client needs its public keys: jwks or jwks_uri, not both');
  }
  if (method !== 'private_key_jwt' && (hasJwks || hasJwksUri)) {
    throw new InvalidRequestError('jwks and jwks_uri are for private_key_jwt clients only (set them to null)');
  }
  if (c.default_scopes) {
    const outside = scopesOutside(c.default_scopes, c.scopes);
    if (outside.length) throw new InvalidRequestError(`default_scopes not in scopes: ${outside.join(' ')}`);
  }
}
