/**
 * The Redis part of the configuration (contract: "Starting it"): which
 * topology (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES, TESSERA_REDIS_SENTINELS
 * with TESSERA_REDIS_SENTINEL_NAME), how security-critical writes wait for
 * replicas, and where signing keys are kept. config.ts merges these fields
 * into its schema and these checks into its problems.
 */
import { z } from 'zod';
import type { WaitPolicy } from '../store/redis/durable-writes.js';
import { parseHostPorts, type HostPort, type RedisTopology } from '../store/redis/topology.js';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const hostPorts = z.preprocess(
  blankToUndefined,
  z.string()
    .transform((v, ctx) => {
      const parsed = parseHostPorts(v);
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: 'must be host:port pairs separated by commas, e.g. 10.0.0.1:6379,10.0.0.2:6379' });
        return z.NEVER;
      }
      return parsed;
    })
    .optional(),
);

const wholeNumber = (min: number, max: number, what: string) =>
  z.preprocess(
    blankToUndefined,
    z.string().regex(/^\d+$/, `must be ${what}`).transform(Number).refine((n) => n >= min && n <= max, `must be ${what}`).optional(),
  );

export const RedisEnvFields = {
  TESSERA_REDIS_CLUSTER_NODES: hostPorts,
  TESSERA_REDIS_SENTINELS: hostPorts,
  TESSERA_REDIS_SENTINEL_NAME: z.preprocess(
    blankToUndefined,
    z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be the primary\'s name in the sentinels\' configuration (printable, no spaces)').optional(),
  ),
  TESSERA_REDIS_SENTINEL_PASSWORD: z.preprocess(blankToUndefined, z.string().optional()),
  TESSERA_REDIS_WAIT_REPLICAS: wholeNumber(0, 16, 'a whole number of replicas from 0 to 16 (0 = never wait)'),
  TESSERA_REDIS_WAIT_TIMEOUT: wholeNumber(10, 1_000, 'a whole number of milliseconds from 10 to 1000'),
  TESSERA_KEYS_STORAGE: z.preprocess(
    blankToUndefined,
    z.enum(['dir', 'store'], { error: 'must be dir (TESSERA_KEYS_DIR) or store (in Redis, encrypted with TESSERA_KEYS_PASSPHRASE)' }).optional(),
  ),
};

export interface RedisEnv {
  REDIS_URL?: string | undefined;
  TESSERA_REDIS_PREFIX?: string | undefined;
  TESSERA_KEYS_PASSPHRASE?: string | undefined;
  TESSERA_REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  TESSERA_REDIS_SENTINELS?: HostPort[] | undefined;
  TESSERA_REDIS_SENTINEL_NAME?: string | undefined;
  TESSERA_REDIS_SENTINEL_PASSWORD?: string | undefined;
  TESSERA_REDIS_WAIT_REPLICAS?: number | undefined;
  TESSERA_REDIS_WAIT_TIMEOUT?: number | undefined;
  TESSERA_KEYS_STORAGE?: 'dir' | 'store' | undefined;
}

export interface RedisSettings {
  /** Null: the in-memory store. */
  redis: RedisTopology | null;
  redisWait: WaitPolicy;
  /** `dir`: key files in TESSERA_KEYS_DIR; `store`: envelope-encrypted in Redis. */
  keysStorage: 'dir' | 'store';
}

/** The topology and its companions, or the problems (one line each, naming the variable). */
export function redisSettings(e: RedisEnv): RedisSettings | { problems: string[] } {
  const problems: string[] = [];
  const url = e.REDIS_URL ?? null;
  let redis: RedisTopology | null = url === null ? null : { mode: 'single', url };
  if (e.TESSERA_REDIS_CLUSTER_NODES && e.TESSERA_REDIS_SENTINELS) {
    problems.push('TESSERA_REDIS_SENTINELS: cannot be used with TESSERA_REDIS_CLUSTER_NODES (a Redis Cluster has no sentinels); set one of them');
  } else if (e.TESSERA_REDIS_CLUSTER_NODES) {
    redis = { mode: 'cluster', nodes: e.TESSERA_REDIS_CLUSTER_NODES, url };
    if (url !== null && !/^\/?0?$/.test(new URL(url).pathname)) {
      problems.push('REDIS_URL: must name no database (or 0) with TESSERA_REDIS_CLUSTER_NODES: a Redis Cluster has only database 0');
    }
    if (/[{}]/.test(e.TESSERA_REDIS_PREFIX ?? '')) {
      problems.push('TESSERA_REDIS_PREFIX: must not contain { or } on a Redis Cluster (a hash tag in the prefix would put every key in one slot)');
    }
  } else if (e.TESSERA_REDIS_SENTINELS) {
    if (e.TESSERA_REDIS_SENTINEL_NAME === undefined) {
      problems.push('TESSERA_REDIS_SENTINEL_NAME: must be set with TESSERA_REDIS_SENTINELS (the name the sentinels monitor the primary under)');
    } else {
      redis = {
        mode: 'sentinel', sentinels: e.TESSERA_REDIS_SENTINELS, name: e.TESSERA_REDIS_SENTINEL_NAME, url,
        sentinelPassword: e.TESSERA_REDIS_SENTINEL_PASSWORD ?? null,
      };
    }
  }
  if (e.TESSERA_REDIS_SENTINEL_NAME !== undefined && !e.TESSERA_REDIS_SENTINELS) {
    problems.push('TESSERA_REDIS_SENTINEL_NAME: applies only with TESSERA_REDIS_SENTINELS');
  }
  const keysStorage = e.TESSERA_KEYS_STORAGE ?? 'dir';
  if (keysStorage === 'store') {
    if (redis === null && !problems.length) {
      problems.push('TESSERA_KEYS_STORAGE: store needs Redis (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS): the in-memory store is not shared');
    }
    if ((e.TESSERA_KEYS_PASSPHRASE ?? '').length < 16) {
      problems.push('TESSERA_KEYS_PASSPHRASE: must be set, 16 characters or more, with TESSERA_KEYS_STORAGE=store (it encrypts the keys kept in Redis)');
    }
  }
  if (problems.length) return { problems };
  return {
    redis,
    redisWait: { replicas: e.TESSERA_REDIS_WAIT_REPLICAS ?? 1, timeoutMs: e.TESSERA_REDIS_WAIT_TIMEOUT ?? 500 },
    keysStorage,
  };
}
