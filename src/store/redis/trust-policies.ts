/**
 * Trust policies in Redis. Layout (under the store's prefix):
 *   `trust-policy:${id}`           string, the record as JSON
 *   `trust-policies`               sorted set of ids, all scores 0 (pages BYLEX)
 *   `trust-policies-iss:${hash}`   set of the ids of one issuer (SHA-256 of
 *                                  the issuer, base64url), the grant's lookup
 * A policy's issuer never changes, so its issuer set never needs moving. The
 * scripts get every key they touch in KEYS. A stale issuer-set entry (a
 * deleted policy) is harmless: listByIssuer() reads the records and keeps
 * only those that exist and name the issuer.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { compareIds } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import type { TrustPolicyRecord, TrustPolicyRepository } from '../trust-policy-records.js';
import { guarded } from './connection.js';
import { pageByLex } from './paging.js';

// KEYS: record, index, issuer set. ARGV: JSON, id.
const CREATE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[2])
  return 1
end
return 0`;

// KEYS: record, index, issuer set. ARGV: id.
const DELETE = `
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return removed`;

interface Scripts {
  tesseraCreateTrustPolicy(record: string, index: string, issuerSet: string, json: string, id: string): Promise<number>;
  tesseraDeleteTrustPolicy(record: string, index: string, issuerSet: string, id: string): Promise<number>;
}

export class RedisTrustPolicyRepository implements TrustPolicyRepository {
  readonly #redis: Redis & Scripts;
  readonly #index: string;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraCreateTrustPolicy', { numberOfKeys: 3, lua: CREATE });
    redis.defineCommand('tesseraDeleteTrustPolicy', { numberOfKeys: 3, lua: DELETE });
    this.#redis = redis as Redis & Scripts;
    this.#index = `${prefix}trust-policies`;
  }

  #record(id: string): string { return `${this.prefix}trust-policy:${id}`; }
  #issuerSet(issuer: string): string {
    return `${this.prefix}trust-policies-iss:${createHash('sha256').update(issuer, 'utf8').digest('base64url')}`;
  }

  async create(policy: TrustPolicyRecord): Promise<boolean> {
    const created = await guarded(() =>
      this.#redis.tesseraCreateTrustPolicy(this.#record(policy.id), this.#index, this.#issuerSet(policy.issuer), JSON.stringify(policy), policy.id),
    );
    return created === 1;
  }

  async replace(policy: TrustPolicyRecord): Promise<boolean> {
    // XX: never resurrects a policy deleted meanwhile.
    return (await guarded(() => this.#redis.set(this.#record(policy.id), JSON.stringify(policy), 'XX'))) === 'OK';
  }

  async get(id: string): Promise<TrustPolicyRecord | null> {
    const json = await guarded(() => this.#redis.get(this.#record(id)));
    return json === null ? null : (JSON.parse(json) as TrustPolicyRecord);
  }

  list(page: PageRequest): Promise<Page<TrustPolicyRecord>> {
    return pageByLex<TrustPolicyRecord>(this.#redis, this.#index, (id) => this.#record(id), page);
  }

  async listByIssuer(issuer: string): Promise<TrustPolicyRecord[]> {
    const ids = await guarded(() => this.#redis.smembers(this.#issuerSet(issuer)));
    if (ids.length === 0) return [];
    const jsons = await guarded(() => this.#redis.mget(ids.map((id) => this.#record(id))));
    return jsons
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as TrustPolicyRecord)
      .filter((p) => p.issuer === issuer)
      .sort((a, b) => compareIds(a.id, b.id));
  }

  async delete(id: string): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing) return false;
    const removed = await guarded(() => this.#redis.tesseraDeleteTrustPolicy(this.#record(id), this.#index, this.#issuerSet(existing.issuer), id));
    return removed === 1;
  }
}
