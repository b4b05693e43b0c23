/**
 * The first admin (contract): when no client holds the scope
 * `tessera:admin`, create the confidential client `tessera-admin`
 * (client_credentials, scope tessera:admin) so a new install is never locked
 * out. Its secret is TESSERA_BOOTSTRAP_ADMIN_SECRET or a random one shown
 * once.
 */
import type { Store } from '../store/store.js';
import type { ClientService } from './clients/client-service.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';

export const ADMIN_CLIENT_ID = 'tessera-admin';
export const ADMIN_SCOPE = 'tessera:admin';

async function anyAdminClient(store: Store): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await store.clients.list({ limit: 200, cursor });
    // The console's client holds the scope too, but only passes it on to users who have it: it is no way in.
    if (page.items.some((c) => c.scopes.includes(ADMIN_SCOPE) && c.client_id !== CONSOLE_CLIENT_ID)) return true;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return false;
}

/** Returns the new client's secret when this call created it (to print once), null otherwise. */
export async function ensureAdminClient(store: Store, clients: ClientService, configuredSecret: string | null): Promise<{ created: boolean; secret: string | null }> {
  if (await anyAdminClient(store)) return { created: false, secret: null };
  const input = {
    client_id: ADMIN_CLIENT_ID,
    name: 'Tessera administrator',
    grant_types: ['client_credentials' as const],
    scopes: [ADMIN_SCOPE],
    ...(configuredSecret ? { client_secret: configuredSecret } : {}),
  };
  const built = await clients.build(input);
  // Created with NX: when several instances start at once, one wins and only it prints a secret.
  if (await store.clients.create(built.client)) {
    return { created: true, secret: configuredSecret ? null : built.secret };
  }
  // `tessera-admin` exists but lost its scope: give it back, with a new secret, rather than lock everyone out.
  const existing = await store.clients.get(ADMIN_CLIENT_ID);
  if (existing && !existing.scopes.includes(ADMIN_SCOPE)) {
    await store.clients.replace({ ...built.client, created_at: existing.created_at });
    return { created: true, secret: configuredSecret ? null : built.secret };
  }
  return { created: false, secret: null };
}
