/**
 * Signing-key records in Redis: the hash `signing-keys:{sk}` holds
 * `k:<kid>` -> sealed record, `v` (bumped by every write) and `salt`; the
 * rotation lock `signing-keys-lock:{sk}` is a string with a PXAT expiry.
 * Same tag, so a write checks the lock and writes in one script on one
 * slot (Cluster). Changes are announced on `signing-keys:changed`.
 */
import type { SigningKeyRepository } from '../signing-key-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';
import { subscribe } from './subscriber.js';
import { ACQUIRE_LEASE, RELEASE_LEASE } from './lease-scripts.js';

// KEYS: hash, lock. ARGV: holder, field, record ('' = remove). Fenced: only the lock's holder writes.
const WRITE = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 1`;

interface Scripts {
  tesseraKeysAcquire(lock: string, holder: string, until: string): Promise<number>;
  tesseraKeysRelease(lock: string, holder: string): Promise<number>;
  tesseraKeysWrite(hash: string, lock: string, holder: string, field: string, record: string): Promise<number>;
}

const FIELD = 'k:';

export class RedisSigningKeys implements SigningKeyRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraKeysAcquire', 1, ACQUIRE_LEASE);
    defineScript(ctx, 'tesseraKeysRelease', 1, RELEASE_LEASE);
    defineScript(ctx, 'tesseraKeysWrite', 2, WRITE);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  get #hash(): string { return this.ctx.keys.signingKeys; }
  get #lock(): string { return this.ctx.keys.signingKeysLock; }

  async load(): Promise<{ version: string; records: Map<string, string> }> {
    const all = await guarded(() => this.#redis.hgetall(this.#hash));
    const records = new Map<string, string>();
    for (const [field, value] of Object.entries(all)) if (field.startsWith(FIELD)) records.set(field.slice(FIELD.length), value);
    return { version: all.v ?? '0', records };
  }

  async version(): Promise<string> {
    return (await guarded(() => this.#redis.hget(this.#hash, 'v'))) ?? '0';
  }

  async salt(candidate: string): Promise<string> {
    await guarded(() => this.#redis.hsetnx(this.#hash, 'salt', candidate));
    const stored = await guarded(() => this.#redis.hget(this.#hash, 'salt'));
    if (stored === null) throw new Error('the signing keys salt vanished from the store');
    return stored;
  }

  async acquireLock(holder: string, untilMs: number): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraKeysAcquire(this.#lock, holder, String(Math.ceil(untilMs))))) === 1;
  }

  async releaseLock(holder: string): Promise<void> {
    await guarded(() => this.#redis.tesseraKeysRelease(this.#lock, holder));
  }

  async put(kid: string, record: string, holder: string): Promise<boolean> {
    if (record === '') throw new RangeError('a signing key record cannot be empty');
    return (await guarded(() => this.#redis.tesseraKeysWrite(this.#hash, this.#lock, holder, FIELD + kid, record))) === 1;
  }

  async remove(kid: string, holder: string): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraKeysWrite(this.#hash, this.#lock, holder, FIELD + kid, ''))) === 1;
  }

  async announce(): Promise<void> {
    await guarded(() => this.#redis.publish(this.ctx.keys.signingKeysChannel, 'changed'));
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    return subscribe(this.ctx.redis, this.ctx.keys.signingKeysChannel, 'key-changes', { onMessage: onChange, onLive: onChange });
  }
}
