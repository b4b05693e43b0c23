/**
 * The web console's own client: a public client (PKCE S256, no secret,
 * RFC 9700 §2.1.1) whose only redirect URI is the console's callback under
 * the issuer. Ensured at every start while the console is on, so its
 * settings are always Tessera's own (an edit through the admin API lasts
 * until the next start). It asks for every scope the console can use; the
 * login grants only those the user's roles carry (offline_access aside).
 */
import type { ClientService } from './clients/client-service.js';

export const CONSOLE_CLIENT_ID = 'tessera-console';
/** What the console asks for: the admin API, the user's own tokens (/v1/me), a refresh token. */
export const CONSOLE_SCOPES = ['tessera:admin', 'tessera:tokens', 'offline_access'] as const;

export const consoleRedirectUri = (issuer: string): string => `${issuer}/console/callback`;

export async function ensureConsoleClient(clients: ClientService, issuer: string): Promise<'created' | 'updated'> {
  return clients.upsert({
    client_id: CONSOLE_CLIENT_ID,
    name: 'Tessera console',
    public: true,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: [...CONSOLE_SCOPES],
    default_scopes: null,
    audiences: [],
    redirect_uris: [consoleRedirectUri(issuer)],
    // Tessera's own page: no consent step, as for any first-party client.
    third_party: false,
    always_issue_refresh_token: true,
  });
}
