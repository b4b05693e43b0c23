/**
 * Trust policies in Redis (names in keys.ts):
 *   `trust-policy:<id>`           string, the record as JSON
 *   `trust-policies`              sorted set of ids, all scores 0 (pages BYLEX)
 *   `trust-policies-iss:<hash>`   set of the ids of one issuer (SHA-256 of
 *                                 the issuer, base64url), the grant's lookup
 * A policy's issuer never changes, so its issuer set never needs moving.
 * The record and the two indexes are in different slots on a Cluster, so
 * they are separate steps, like the clients': the indexes before the record
 * on create, after it on delete. A stale index entry (a deleted policy, or a
 * create cut short) is harmless: lists read the records and keep only those
 * that exist (and, by issuer, name the issuer). Record writes are confirmed
 * by a replica when there is one.
 */
import { createHash } from 'node:crypto';
import { compareIds } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import type { TrustPolicyRecord, TrustPolicyRepository } from '../trust-policy-records.js';
import { guarded } from './connection.js';
import type { RedisContext } from './context.js';
import { mgetAnySlot } from './cross-slot.js';
import { pageByLex } from './paging.js';

export class RedisTrustPolicyRepository implements TrustPolicyRepository {
  constructor(private readonly ctx: RedisContext) {}

  #record(id: string): string { return this.ctx.keys.trustPolicy(id); }
  #issuerSet(issuer: string): string {
    return this.ctx.keys.trustPoliciesOfIssuer(createHash('sha256').update(issuer, 'utf8').digest('base64url'));
  }

  async create(policy: TrustPolicyRecord): Promise<boolean> {
    await guarded(() => Promise.all([
      this.ctx.redis.zadd(this.ctx.keys.trustPolicyIndex, 0, policy.id),
      this.ctx.redis.sadd(this.#issuerSet(policy.issuer), policy.id),
    ]));
    const key = this.#record(policy.id);
    // NX: nil when the id is taken; the index entries were there already for the existing policy.
    return (await this.ctx.durable.write(key, (c) => c.set(key, JSON.stringify(policy), 'NX'))) === 'OK';
  }

  async replace(policy: TrustPolicyRecord): Promise<boolean> {
    // XX: never resurrects a policy deleted meanwhile.
    const key = this.#record(policy.id);
    return (await this.ctx.durable.write(key, (c) => c.set(key, JSON.stringify(policy), 'XX'))) === 'OK';
  }

  async get(id: string): Promise<TrustPolicyRecord | null> {
    const json = await guarded(() => this.ctx.redis.get(this.#record(id)));
    return json === null ? null : (JSON.parse(json) as TrustPolicyRecord);
  }

  list(page: PageRequest): Promise<Page<TrustPolicyRecord>> {
    return pageByLex<TrustPolicyRecord>(this.ctx.redis, this.ctx.keys.trustPolicyIndex, (id) => this.#record(id), page);
  }

  async listByIssuer(issuer: string): Promise<TrustPolicyRecord[]> {
    const ids = await guarded(() => this.ctx.redis.smembers(this.#issuerSet(issuer)));
    if (ids.length === 0) return [];
    const jsons = await guarded(() => mgetAnySlot(this.ctx.redis, ids.map((id) => this.#record(id))));
    return jsons
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as TrustPolicyRecord)
      .filter((p) => p.issuer === issuer)
      .sort((a, b) => compareIds(a.id, b.id));
  }

  async delete(id: string): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing) return false;
    const key = this.#record(id);
    const removed = await this.ctx.durable.write(key, (c) => c.del(key));
    await guarded(() => Promise.all([
      this.ctx.redis.zrem(this.ctx.keys.trustPolicyIndex, id),
      this.ctx.redis.srem(this.#issuerSet(existing.issuer), id),
    ]));
    return removed === 1;
  }
}
