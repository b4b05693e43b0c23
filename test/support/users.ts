import type { Harness } from './harness.js';

/** A role, a user with it, and a client for user grants; returns what tests need. */
export async function seedUserAndClient(h: Harness, opts: { username?: string; scopes?: string[]; clientScopes?: string[]; grantTypes?: string[] } = {}) {
  const scopes = opts.scopes ?? ['orders:read', 'orders:write'];
  await h.ctx.users.putRole('staff', scopes);
  const user = await h.ctx.users.create({ username: opts.username ?? `user${Math.random().toString(36).slice(2, 8)}`, password: 'correct horse battery', roles: ['staff'] });
  const client = await h.createClient({
    grant_types: opts.grantTypes ?? ['refresh_token', 'client_credentials'],
    scopes: opts.clientScopes ?? [...scopes, 'offline_access'],
  });
  return { user, client };
}

/** Starts a refresh family directly, as the authorization code grant would. */
export async function startFamily(h: Harness, clientId: string, userId: string, scopes: string[]) {
  return h.ctx.refresh.startFamily({ clientId, userId, scopes, authTime: Math.floor(Date.now() / 1000) });
}
