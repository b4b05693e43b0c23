/**
 * Applies the bootstrap file (TESSERA_CONFIG) at every start: roles first
 * (users name them), then users, then clients. Entries are created or
 * updated, never deleted.
 */
import type { Logger } from 'pino';
import type { BootstrapFile } from '../config/bootstrap-file.js';
import type { ClientService } from './clients/client-service.js';
import type { UserService } from './users/user-service.js';

export async function applyBootstrapFile(file: BootstrapFile, services: { clients: ClientService; users: UserService }, logger: Logger): Promise<void> {
  for (const [name, scopes] of Object.entries(file.roles ?? {})) {
    const { outcome } = await services.users.putRole(name, scopes);
    logger.info({ role: name, outcome }, 'bootstrap role applied');
  }
  for (const user of file.users ?? []) {
    const outcome = await services.users.upsert(user);
    logger.info({ username: user.username, outcome }, 'bootstrap user applied');
  }
  for (const client of file.clients ?? []) {
    const outcome = await services.clients.upsert(client);
    logger.info({ client_id: client.client_id, outcome }, 'bootstrap client applied');
  }
}
