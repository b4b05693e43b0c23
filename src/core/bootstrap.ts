/**
 * Applies the bootstrap file (TESSERA_CONFIG) at every start: roles first
 * (users name them), then users, then clients, then trust policies (they
 * name clients). Entries are created or updated, never deleted.
 */
import type { Logger } from 'pino';
import type { BootstrapFile } from '../config/bootstrap-file.js';
import type { ClientService } from './clients/client-service.js';
import type { UserService } from './users/user-service.js';
import type { TrustPolicyService } from './federation/trust-policy-service.js';
import { ConfigError, InvalidRequestError } from './errors.js';

export interface BootstrapServices {
  clients: ClientService;
  users: UserService;
  trustPolicies: TrustPolicyService;
}

export async function applyBootstrapFile(file: BootstrapFile, services: BootstrapServices, logger: Logger): Promise<void> {
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
  for (const [i, policy] of (file.trust_policies ?? []).entries()) {
    let outcome: 'created' | 'updated';
    try {
      outcome = await services.trustPolicies.upsert(policy);
    } catch (err) {
      // A policy that cannot hold (its client missing or not registered for the grant) stops the start, naming it.
      if (err instanceof InvalidRequestError) throw new ConfigError([`TESSERA_CONFIG: trust_policies.${i} (${policy.id}): ${err.message}`]);
      throw err;
    }
    logger.info({ trust_policy: policy.id, issuer: policy.issuer, outcome }, 'bootstrap trust policy applied');
  }
}
