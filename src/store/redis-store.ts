/**
 * The Redis store: what a production Tessera runs on, on one Redis server,
 * a Sentinel-managed primary or a Redis Cluster (redis/topology.ts), with
 * one key layout for all three (redis/keys.ts). Everything it writes is
 * under one key prefix (added by the key names, not with ioredis'
 * keyPrefix, which does not apply to SCAN patterns), so several deployments
 * or test runs can share a Redis and an operator can find, export or delete
 * exactly Tessera's keys.
 */
import { RedisSigningKeys } from './redis/signing-keys.js';
import { StoreUnavailableError } from '../core/errors.js';
import { RedisClientRepository } from './redis/clients.js';
import {
  closeRedisConnection,
  guarded,
  openRedisConnection,
  topologyOf,
  waitForReady,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis/connection.js';
import type { RedisContext } from './redis/context.js';
import { isCluster } from './redis/cross-slot.js';
import { DEFAULT_WAIT_POLICY, DurableWrites, type WaitPolicy } from './redis/durable-writes.js';
import { RedisKeys } from './redis/keys.js';
import { RedisRevocationList } from './redis/revocations.js';
import { DEFAULT_USER_CACHE_TTL_MS, RedisRoleRepository, RedisUserRepository } from './redis/users.js';
import { RecordCache } from './redis/record-cache.js';
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
import { whereOf, type RedisTopology } from './redis/topology.js';
import { readBatchOf } from './redis/read-batch.js';
import type { Store } from './store.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key, e.g. `tessera:`. */
  prefix: string;
  /** WAIT for security-critical writes (TESSERA_REDIS_WAIT_REPLICAS / _TIMEOUT); default: one replica, 500 ms. */
  wait?: WaitPolicy | undefined;
  /** Told about conditions worth a warning (a primary lost its replicas, WAIT unavailable). */
  onWarning?: ((message: string) => void) | undefined;
  /** How long a client record may stay in this process's cache (TESSERA_CLIENT_CACHE_TTL), ms; 0 = no cache. Default 30 s. */
  clientCacheTtlMs?: number | undefined;
  /** How long a user or role record may stay in this process's cache (TESSERA_USER_CACHE_TTL), ms; 0 = no cache. Default 30 s. */
  userCacheTtlMs?: number | undefined;
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
  readonly signingKeys: RedisSigningKeys;
  readonly trustPolicies: RedisTrustPolicyRepository;
  readonly prefix: string;
  readonly keys: RedisKeys;
  readonly topology: RedisTopology;
  readonly durable: DurableWrites;
  readonly #redis: RedisClient;

  /**
   * Starts connecting at once and never waits: calls made before the
   * connection is ready fail with StoreUnavailableError. Use
   * connectRedisStore() to start only once Redis answers.
   */
  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.keys = new RedisKeys(options.prefix);
    this.topology = topologyOf(options);
    this.#redis = openRedisConnection(options);
    const wait = options.wait ?? DEFAULT_WAIT_POLICY;
    // Security-critical writes get a connection of their own when they WAIT, so other requests never queue behind a WAIT.
    const durableClient = wait.replicas > 0
      // Not told onError: an outage shows on the main connection already, and is reported once there.
      ? openRedisConnection({ ...options, onError: undefined, connectionName: `${options.connectionName ?? 'tessera'}-durable` })
      : this.#redis;
    this.durable = new DurableWrites(durableClient, wait, options.onWarning);
    const ctx: RedisContext = { redis: this.#redis, durable: this.durable, keys: this.keys, clustered: isCluster(this.#redis), reads: readBatchOf(this.#redis) };
    this.clients = new RedisClientRepository(ctx, options.clientCacheTtlMs);
    this.revocations = new RedisRevocationList(ctx);
    // Users and roles share one cache, one subscription (record-cache.ts).
    const userCache = new RecordCache(ctx.redis, ctx.keys.usersChannel, options.userCacheTtlMs ?? DEFAULT_USER_CACHE_TTL_MS, 'user-changes');
    this.users = new RedisUserRepository(ctx, userCache);
    this.roles = new RedisRoleRepository(ctx, userCache);
    this.loginAttempts = new RedisAttemptCounter(ctx);
    this.authorizationRequests = new RedisAuthorizationRequests(ctx);
    this.authorizationCodes = new RedisAuthorizationCodes(ctx);
    this.refreshTokens = new RedisRefreshTokenRepository(ctx);
    this.apiTokens = new RedisApiTokenRepository(ctx);
    this.audit = new RedisAuditLog(ctx);
    this.rateLimits = new RedisRateLimiter(ctx);
    this.usage = new RedisUsageRepository(ctx);
    this.webhooks = new RedisWebhookRepository(ctx);
    this.counters = new RedisEventCounters(ctx);
    this.jobs = new RedisJobState(ctx);
    this.baselines = new RedisBaselines(ctx);
    this.replay = new RedisReplayCache(ctx);
    this.secrets = new RedisServerSecrets(ctx);
    this.trustPolicies = new RedisTrustPolicyRepository(ctx);
    this.signingKeys = new RedisSigningKeys(ctx);
  }

  /** The main connection, for what lives beside the store on the same Redis (signing keys, pub/sub). */
  get client(): RedisClient {
    return this.#redis;
  }

  /** Resolves once connected (both connections); rejects with the last connection error after `timeoutMs`. */
  async whenReady(timeoutMs: number): Promise<void> {
    await Promise.all([waitForReady(this.#redis, timeoutMs), waitForReady(this.durable.client, timeoutMs)]);
    await this.durable.refresh();
  }

  /** The server's `redis_version` (on a Cluster, of the node asked), or null when INFO does not tell (some Redis-compatible services). */
  async serverVersion(): Promise<string | null> {
    const info = await guarded(() => this.#redis.info('server'));
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? null;
  }

  async ping(): Promise<void> {
    await guarded(() => this.#redis.ping());
  }

  /** On a Cluster, of every primary: the first that evicts, else the first one's (each node has its own setting). */
  async evictionPolicy(): Promise<string | null> {
    const nodes: RedisClient[] = isCluster(this.#redis) ? this.#redis.nodes('master') : [this.#redis];
    const policies = await Promise.all(nodes.map((n) => policyOf(n)));
    return policies.find((p) => p !== null && p !== 'noeviction') ?? policies[0] ?? null;
  }

  async close(): Promise<void> {
    this.durable.close();
    await Promise.all([
      this.clients.cache.close(),
      this.users.cache.close(),
      closeRedisConnection(this.#redis),
      ...(this.durable.client === this.#redis ? [] : [closeRedisConnection(this.durable.client)]),
    ]);
  }
}

/**
 * Connects, waits for Redis to answer and checks its version, so that a
 * wrong REDIS_URL (or cluster nodes, or sentinels) stops the server at start
 * instead of failing every request.
 */
export async function connectRedisStore(options: ConnectRedisStoreOptions): Promise<RedisStore> {
  const timeoutMs = options.readyTimeoutMs ?? 5_000;
  const where = whereOf(topologyOf(options));
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

async function policyOf(redis: RedisClient): Promise<string | null> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    if (policy) return policy;
  } catch {
    // CONFIG is often renamed or disabled on managed Redis: INFO says it too.
  }
  const info = await guarded(() => redis.info('memory'));
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
}

function isAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [actualMajor = 0, actualMinor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
