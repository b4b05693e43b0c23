/**
 * The Redis store: what a production Tessera runs on. Everything it writes
 * is under one key prefix (added here, not with ioredis' keyPrefix, which
 * does not apply to SCAN patterns), so several deployments or test runs can
 * share a Redis and an operator can find, export or delete exactly Tessera's
 * keys. Key layout: see redis/clients.ts and redis/revocations.ts.
 */
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../core/errors.js';
import { RedisClientRepository } from './redis/clients.js';
import {
  closeRedisConnection,
  guarded,
  openRedisConnection,
  redactRedisUrl,
  waitForReady,
  type RedisConnectionOptions,
} from './redis/connection.js';
import { RedisRevocationList } from './redis/revocations.js';
import { RedisRoleRepository, RedisUserRepository } from './redis/users.js';
import { RedisAttemptCounter, RedisAuthorizationCodes, RedisAuthorizationRequests } from './redis/login-and-codes.js';
import { RedisRefreshTokenRepository } from './redis/refresh-tokens.js';
import { RedisApiTokenRepository } from './redis/api-tokens.js';
import { RedisAuditLog } from './redis/audit-log.js';
import { RedisRateLimiter } from './redis/rate-limits.js';
import { RedisUsageRepository } from './redis/usage.js';
import { RedisWebhookRepository } from './redis/webhooks.js';
import { RedisEventCounters } from './redis/counters.js';
import { RedisJobState } from './redis/job-state.js';
import { RedisBaselines } from './redis/baselines.js';
import { RedisReplayCache, RedisServerSecrets } from './redis/replay.js';
import { RedisTrustPolicyRepository } from './redis/trust-policies.js';
import type { Store } from './store.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key, e.g. `tessera:`. */
  prefix: string;
}

export interface ConnectRedisStoreOptions extends RedisStoreOptions {
  /** How long to wait for the first connection. Defaults to 5 s. */
  readyTimeoutMs?: number | undefined;
}

/** PXAT and ZRANGE ... BYLEX, both used here, arrived in Redis 6.2. */
const MIN_REDIS_VERSION: readonly [number, number] = [6, 2];

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly clients: RedisClientRepository;
  readonly revocations: RedisRevocationList;
  readonly users: RedisUserRepository;
  readonly roles: RedisRoleRepository;
  readonly loginAttempts: RedisAttemptCounter;
  readonly authorizationRequests: RedisAuthorizationRequests;
  readonly authorizationCodes: RedisAuthorizationCodes;
  readonly refreshTokens: RedisRefreshTokenRepository;
  readonly apiTokens: RedisApiTokenRepository;
  readonly audit: RedisAuditLog;
  readonly rateLimits: RedisRateLimiter;
  readonly usage: RedisUsageRepository;
  readonly webhooks: RedisWebhookRepository;
  readonly counters: RedisEventCounters;
  readonly jobs: RedisJobState;
  readonly baselines: RedisBaselines;
  readonly replay: RedisReplayCache;
  readonly secrets: RedisServerSecrets;
  readonly trustPolicies: RedisTrustPolicyRepository;
  readonly prefix: string;
  readonly #redis: Redis;

  /**
   * Starts connecting at once and never waits: calls made before the
   * connection is ready fail with StoreUnavailableError. Use
   * connectRedisStore() to start only once Redis answers.
   */
  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.#redis = openRedisConnection(options);
    this.clients = new RedisClientRepository(this.#redis, options.prefix);
    this.revocations = new RedisRevocationList(this.#redis, options.prefix);
    this.users = new RedisUserRepository(this.#redis, options.prefix);
    this.roles = new RedisRoleRepository(this.#redis, options.prefix);
    this.loginAttempts = new RedisAttemptCounter(this.#redis, options.prefix);
    this.authorizationRequests = new RedisAuthorizationRequests(this.#redis, options.prefix);
    this.authorizationCodes = new RedisAuthorizationCodes(this.#redis, options.prefix);
    this.refreshTokens = new RedisRefreshTokenRepository(this.#redis, options.prefix);
    this.apiTokens = new RedisApiTokenRepository(this.#redis, options.prefix);
    this.audit = new RedisAuditLog(this.#redis, options.prefix);
    this.rateLimits = new RedisRateLimiter(this.#redis, options.prefix);
    this.usage = new RedisUsageRepository(this.#redis, options.prefix);
    this.webhooks = new RedisWebhookRepository(this.#redis, options.prefix);
    this.counters = new RedisEventCounters(this.#redis, options.prefix);
    this.jobs = new RedisJobState(this.#redis, options.prefix);
    this.baselines = new RedisBaselines(this.#redis, options.prefix);
    this.replay = new RedisReplayCache(this.#redis, options.prefix);
    this.secrets = new RedisServerSecrets(this.#redis, options.prefix);
    this.trustPolicies = new RedisTrustPolicyRepository(this.#redis, options.prefix);
  }

  /** Resolves once connected; rejects with the last connection error after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    return waitForReady(this.#redis, timeoutMs);
  }

  /** The server's `redis_version`, or null when INFO does not tell (some Redis-compatible services). */
  async serverVersion(): Promise<string | null> {
    const info = await guarded(() => this.#redis.info('server'));
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? null;
  }

  async ping(): Promise<void> {
    await guarded(() => this.#redis.ping());
  }

  async evictionPolicy(): Promise<string | null> {
    try {
      const [, policy] = (await this.#redis.config('GET', 'maxmemory-policy')) as string[];
      if (policy) return policy;
    } catch {
      // CONFIG is often renamed or disabled on managed Redis: INFO says it too.
    }
    const info = await guarded(() => this.#redis.info('memory'));
    return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
  }

  async close(): Promise<void> {
    await closeRedisConnection(this.#redis);
  }
}

/**
 * Connects, waits for Redis to answer and checks its version, so that a
 * wrong REDIS_URL stops the server at start instead of failing every request.
 */
export async function connectRedisStore(options: ConnectRedisStoreOptions): Promise<RedisStore> {
  const timeoutMs = options.readyTimeoutMs ?? 5_000;
  const where = redactRedisUrl(options.url);
  const store = new RedisStore(options);
  try {
    await store.whenReady(timeoutMs);
  } catch (err) {
    await store.close();
    const reason = err instanceof Error && err.message ? `: ${err.message}` : '';
    throw new StoreUnavailableError(`cannot connect to Redis at ${where} within ${timeoutMs} ms${reason}`, { cause: err });
  }
  const version = await store.serverVersion().catch(() => null);
  if (version !== null && !isAtLeast(version, MIN_REDIS_VERSION)) {
    await store.close();
    throw new StoreUnavailableError(
      `Redis at ${where} is version ${version}; Tessera needs ${MIN_REDIS_VERSION.join('.')} or newer`,
    );
  }
  return store;
}

function isAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [actualMajor = 0, actualMinor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
