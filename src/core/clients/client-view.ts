import type { ClientRecord, StoredJwks, TokenEndpointAuthMethod } from '../../store/store.js';
import { authMethodOf } from './auth-method.js';

/** The admin API's view of a client: everything but the secret hash. */
export interface ClientView {
  client_id: string;
  name: string;
  public: boolean;
  grant_types: string[];
  scopes: string[];
  default_scopes: string[] | null;
  audiences: string[];
  redirect_uris: string[];
  third_party: boolean;
  always_issue_refresh_token: boolean;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  jwks: StoredJwks | null;
  jwks_uri: string | null;
  dpop_bound_access_tokens: boolean;
  created_at: string;
  updated_at: string;
  secret_rotated_at: string | null;
}

export function toClientView(c: ClientRecord): ClientView {
  return {
    client_id: c.client_id,
    name: c.name,
    public: c.public,
    grant_types: [...c.grant_types],
    scopes: [...c.scopes],
    default_scopes: c.default_scopes ? [...c.default_scopes] : null,
    audiences: [...c.audiences],
    redirect_uris: [...c.redirect_uris],
    third_party: c.third_party,
    always_issue_refresh_token: c.always_issue_refresh_token ?? false,
    token_endpoint_auth_method: authMethodOf(c),
    jwks: c.jwks ? structuredClone(c.jwks) : null,
    jwks_uri: c.jwks_uri ?? null,
    dpop_bound_access_tokens: c.dpop_bound_access_tokens ?? false,
    created_at: c.created_at,
    updated_at: c.updated_at,
    secret_rotated_at: c.secret_rotated_at,
  };
}
