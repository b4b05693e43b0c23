/**
 * Trust policies of federated workload identity: created, updated and
 * deleted by administrators (admin API, CLI) and by the bootstrap file. A
 * policy trusts one external issuer's tokens, on its audiences and
 * conditions, and maps them to one of Tessera's clients, a subject and scopes.
 */
import type { Page, PageRequest, Store, TrustPolicyRecord } from '../../store/store.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import { stripUndefined } from '../objects.js';
import { outboundUrlProblem } from '../jwks/outbound-url.js';
import { scopesOutside } from '../scopes.js';
import type { TrustPolicyCreateInput, TrustPolicyUpdateInput } from './trust-policy-input.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export class TrustPolicyService {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  build(input: TrustPolicyCreateInput): TrustPolicyRecord {
    const at = this.now().toISOString();
    return {
      id: input.id,
      description: input.description ?? '',
      issuer: input.issuer,
      jwks_uri: input.jwks_uri ?? null,
      jwks: input.jwks ?? null,
      audiences: [...new Set(input.audiences)],
      conditions: input.conditions,
      client_id: input.client_id,
      subject: input.subject ?? '{sub}',
      scopes: [...new Set(input.scopes ?? [])],
      max_token_lifetime: input.max_token_lifetime ?? 3600,
      created_at: at,
      updated_at: at,
    };
  }

  async create(input: TrustPolicyCreateInput): Promise<TrustPolicyRecord> {
    const policy = this.build(input);
    await this.#check(policy);
    if (!(await this.store.trustPolicies.create(policy))) throw new ConflictError(`trust policy ${policy.id} already exists`);
    return policy;
  }

  /** Creates or updates (the bootstrap file, applied at every start); never deletes. */
  async upsert(input: TrustPolicyCreateInput): Promise<'created' | 'updated'> {
    const built = this.build(input);
    await this.#check(built);
    if (await this.store.trustPolicies.create(built)) return 'created';
    const existing = await this.get(input.id);
    if (existing.issuer !== built.issuer) {
      throw new InvalidRequestError(`trust policy ${input.id} exists for issuer ${existing.issuer}; a policy's issuer cannot change (use another id)`);
    }
    await this.store.trustPolicies.replace({ ...built, created_at: existing.created_at });
    return 'updated';
  }

  async get(id: string): Promise<TrustPolicyRecord> {
    const policy = await this.store.trustPolicies.get(id);
    if (!policy) throw new NotFoundError(`trust policy ${id} does not exist`);
    return policy;
  }

  list(page: PageRequest): Promise<Page<TrustPolicyRecord>> {
    return this.store.trustPolicies.list(page);
  }

  async update(id: string, patch: TrustPolicyUpdateInput): Promise<TrustPolicyRecord> {
    const existing = await this.get(id);
    const next: TrustPolicyRecord = { ...existing, ...stripUndefined(patch), updated_at: this.now().toISOString() };
    if (patch.audiences) next.audiences = [...new Set(patch.audiences)];
    if (patch.scopes) next.scopes = [...new Set(patch.scopes)];
    await this.#check(next);
    if (!(await this.store.trustPolicies.replace(next))) throw new NotFoundError(`trust policy ${id} does not exist`);
    return next;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.trustPolicies.delete(id))) throw new NotFoundError(`trust policy ${id} does not exist`);
  }

  /** Rules across fields, and against the client the policy names. */
  async #check(p: TrustPolicyRecord): Promise<void> {
    if (p.jwks && p.jwks_uri) throw new InvalidRequestError('give jwks or jwks_uri, not both');
    // Without keys of its own the policy finds them by OpenID discovery at the issuer, so the issuer must be fetchable.
    if (!p.jwks && !p.jwks_uri) {
      const problem = outboundUrlProblem(p.issuer);
      if (problem) throw new InvalidRequestError(`issuer ${problem} to discover its keys; or give jwks_uri or jwks`);
    }
    const client = await this.store.clients.get(p.client_id);
    if (!client) throw new InvalidRequestError(`client ${p.client_id} does not exist`);
    if (!client.grant_types.includes(JWT_BEARER_GRANT)) {
      throw new InvalidRequestError(`client ${p.client_id} is not registered for the ${JWT_BEARER_GRANT} grant`);
    }
    const outside = scopesOutside(p.scopes, client.scopes);
    if (outside.length) throw new InvalidRequestError(`scopes not among client ${p.client_id}'s scopes: ${outside.join(' ')}`);
  }
}
