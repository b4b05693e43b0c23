/**
 * The store contract on a real Redis Cluster: three primaries that this
 * suite starts on loopback ports (test/support/redis-cluster.ts) and tears
 * down. The same suites run on one Redis (redis-store.test.ts) and in memory
 * (memory-store.test.ts): one layout, one behaviour.
 */
import { connectRedisStore, type RedisStore } from '../../src/store/redis-store.js';
import { parseHostPorts } from '../../src/store/redis/topology.js';
import { startOwnCluster, type OwnCluster } from '../support/redis-cluster.js';
import { testRedisPrefix } from '../support/redis.js';
import { describeStoreContract } from './store-contract.js';
import { describeUsersContract } from './users-contract.js';
import { describeGrantRecordsContract } from './grants-contract.js';
import { describeApiTokensContract } from './api-tokens-contract.js';
import { describeAuditContract } from './audit-contract.js';
import { describeRateLimitsContract } from './rate-limits-contract.js';
import { describeRevocationFeedContract } from './revocation-feed-contract.js';
import { describeUsageContract } from './usage-contract.js';
import { describeWebhooksContract } from './webhooks-contract.js';
import { describeCountersContract } from './counters-contract.js';
import { describeJobsContract } from './jobs-contract.js';
import { describeSigningKeysContract } from './signing-keys-contract.js';
import { describeBaselinesContract } from './baselines-contract.js';
import { describeReplayContract } from './replay-contract.js';
import { describeTrustPoliciesContract } from './trust-policies-contract.js';
import { describeRecordCaches, killByName } from './record-cache-contract.js';

let cluster: OwnCluster;

beforeAll(async () => {
  cluster = await startOwnCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

// A store on the Cluster is ready once every primary's connection is: with the whole suite running beside it
// on a small machine that can take longer than the server's default 5 s.
const READY_TIMEOUT_MS = 20_000;
const open = (label: string) => (): Promise<RedisStore> =>
  connectRedisStore({ topology: { mode: 'cluster', nodes: parseHostPorts(cluster.seeds)!, url: null }, prefix: testRedisPrefix(label), readyTimeoutMs: READY_TIMEOUT_MS });
const cleanup = (store: RedisStore) => cluster.deleteKeysUnder(store.prefix);

describeStoreContract('RedisStore on Redis Cluster', open('contract'), cleanup);
describeUsersContract('RedisStore on Redis Cluster', open('users'), cleanup);
describeGrantRecordsContract('RedisStore on Redis Cluster', open('grants'), cleanup);
describeApiTokensContract('RedisStore on Redis Cluster', open('api-tokens'), cleanup);
describeAuditContract('RedisStore on Redis Cluster', open('audit'), cleanup);
describeRateLimitsContract('RedisStore on Redis Cluster', open('rate-limits'), cleanup);
describeRevocationFeedContract('RedisStore on Redis Cluster', open('revfeed'), cleanup);
describeUsageContract('RedisStore on Redis Cluster', open('usage'), cleanup);
describeWebhooksContract('RedisStore on Redis Cluster', open('webhooks'), cleanup);
describeCountersContract('RedisStore on Redis Cluster', open('counters'), cleanup);
describeJobsContract('RedisStore on Redis Cluster', open('jobs'), cleanup);
describeSigningKeysContract('RedisStore on Redis Cluster', open('signing-keys'), cleanup);
describeBaselinesContract('RedisStore on Redis Cluster', open('baselines'), cleanup);
describeReplayContract('RedisStore on Redis Cluster', open('replay'), cleanup);
describeTrustPoliciesContract('RedisStore on Redis Cluster', open('trust-policies'), cleanup);

describeRecordCaches('Redis Cluster', () => {
  const prefix = testRedisPrefix('client-cache');
  const raw = cluster.client();
  return {
    open: (name) => Promise.all([0, 1].map(() => connectRedisStore({
      topology: { mode: 'cluster', nodes: parseHostPorts(cluster.seeds)!, url: null }, prefix, connectionName: name, readyTimeoutMs: READY_TIMEOUT_MS,
    }))) as Promise<[RedisStore, RedisStore]>,
    raw: () => raw,
    killSubscriber: async (name) => {
      const nodes = cluster.nodes.map((n) => cluster.node(n.port));
      try {
        await killByName(nodes, name);
      } finally {
        for (const n of nodes) n.disconnect();
      }
    },
    cleanup: async (store) => {
      await cluster.deleteKeysUnder(store.prefix);
      raw.disconnect();
    },
  };
});

describe('RedisStore on Redis Cluster: refresh rotation', () => {
  it('offers no rotateLimited (the counters and the family are in different slots), so a refresh goes the usual way in two commands', async () => {
    const store = await open('rotate-limited')();
    try {
      expect(store.refreshTokens.rotateLimited).toBeUndefined();
      expect(typeof store.refreshTokens.rotate).toBe('function');
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore on Redis Cluster: the issuance audit entry', () => {
  it('offers no appendLimited (the counters and the audit shard are in different slots), so an issuance counts and appends in two commands', async () => {
    const store = await open('append-limited')();
    try {
      expect(store.audit.appendLimited).toBeUndefined();
      expect(typeof store.audit.append).toBe('function');
    } finally {
      await store.close();
    }
  });
});
