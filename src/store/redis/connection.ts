/**
 * The Redis connections of a RedisStore, for each topology (one server,
 * Sentinel, Cluster): how they are configured so that an outage or a
 * failover turns into fast StoreUnavailableErrors (503s) instead of hanging
 * requests, and how they heal by themselves when Redis is back.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { StoreUnavailableError, TesseraError } from '../../core/errors.js';
import type { RedisTopology } from './topology.js';
import { TurnBatchedRedis } from './turn-batched-redis.js';

export { redactRedisUrl } from './topology.js';

/** A connection to one server (or a Sentinel-managed primary) or to a whole Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** One server: a `redis://` or `rediss://` URL, credentials and database included. Shorthand for `topology: {mode: 'single', url}`. */
  url?: string | undefined;
  /** Any topology; wins over `url`. */
  topology?: RedisTopology | undefined;
  /** Told about connection errors (once per distinct error until the next successful connection). */
  onError?: ((err: unknown) => void) | undefined;
  /** Shown by `CLIENT LIST`, so operators can tell Tessera's connections apart. Defaults to `tessera`. */
  connectionName?: string | undefined;
}

export function topologyOf(options: RedisConnectionOptions): RedisTopology {
  if (options.topology) return options.topology;
  if (options.url) return { mode: 'single', url: options.url };
  throw new TypeError('a Redis URL or topology is required');
}

/** Upper bound for any single command; every store call therefore settles within about this. */
export const COMMAND_TIMEOUT_MS = 1_500;
const CONNECT_TIMEOUT_MS = 1_500;
const MAX_RECONNECT_DELAY_MS = 2_000;
const backoff = (attempt: number) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS);

/**
 * Why these options (every topology):
 * - enableOfflineQueue: false — while disconnected, ioredis would otherwise
 *   queue every command until it reconnects, i.e. requests hang for as long
 *   as Redis is down. Without the queue a command fails at once.
 * - maxRetriesPerRequest: 0 — commands already sent when the connection
 *   drops are rejected at once instead of being retried after a reconnect.
 * - autoResendUnfulfilledCommands: false — resending a command whose reply
 *   was lost could run it twice (a create would then report "id taken" for
 *   the client it just created); the caller gets a 503 and may retry.
 * - commandTimeout — the backstop for a connection that is open but silent
 *   (network partition, stuck server): nothing waits longer than this.
 * - connectTimeout — a TCP connect to an unreachable host gives up quickly,
 *   so reconnect attempts keep cycling.
 * - retryStrategy — never gives up (the store must recover by itself) and
 *   backs off exponentially from 100 ms, capped at 2 s, so recovery is
 *   noticed within about 2 s without hammering a struggling server.
 * - reconnectOnError READONLY — after a failover the old primary answers
 *   READONLY; reconnecting reaches the new primary (behind the same address,
 *   or, with Sentinel, the one the sentinels now name).
 * The commands that concurrent requests issue in one event-loop turn leave
 * in one socket write: TurnBatchedRedis for one server or a Sentinel-managed
 * primary, ioredis' enableAutoPipelining (per node) for a Cluster.
 */
export function redisOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: backoff,
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  };
}

/** User, password, database and TLS from a URL, for the modes whose addresses come from elsewhere. */
function credentialsOf(url: string | null): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  if (url === null) return {};
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db } : {}),
    // TLS against an address from the cluster or the sentinels: the certificate names the host we reach.
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Cluster options, beyond the per-node ones above:
 * - retryDelayOnFailover: 0 — a command whose connection closed is not sent
 *   again to the new owner of its slot (it may have run already); 503.
 * - MOVED and ASK (resharding) are followed: the node that answers them did
 *   not run the command. CLUSTERDOWN and TRYAGAIN are retried every 100 ms,
 *   at most maxRedirections times (about a second), then 503.
 * - slotsRefreshInterval — the slot map is refreshed every 5 s as well as on
 *   every MOVED, so a failover elsewhere is noticed without waiting for an error.
 */
function clusterOptions(connectionName: string, url: string | null): ClusterOptions {
  const { db: _db, ...credentials } = credentialsOf(url);
  return {
    redisOptions: { ...redisOptions(connectionName), ...credentials },
    enableOfflineQueue: false,
    // Groups each turn's commands per node (TurnBatchedRedis is for one connection).
    enableAutoPipelining: true,
    scaleReads: 'master',
    maxRedirections: 10,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    slotsRefreshInterval: 5_000,
    clusterRetryStrategy: backoff,
    // A TLS cluster announces IPs while certificates name hosts: connect to the address as given.
    ...(credentials.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
  };
}

export function openRedisConnection(options: RedisConnectionOptions): RedisClient {
  const topology = topologyOf(options);
  const name = options.connectionName ?? 'tessera';
  let client: RedisClient;
  switch (topology.mode) {
    case 'single':
      client = new TurnBatchedRedis(topology.url, redisOptions(name));
      break;
    case 'cluster': {
      const cluster = new Cluster(topology.nodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions(name, topology.url));
      // ioredis opens a node's connection at its first command, and without
      // the offline queue it refuses the commands that reach that node while
      // the connection is still being made: a burst of requests right after
      // start, or after a failover or resharding brought a new node, would
      // get 503s. Connect every node as soon as the cluster names it.
      cluster.on('+node', (node: Redis) => {
        if (node.status === 'wait') node.connect().catch(() => undefined);
      });
      client = cluster;
      break;
    }
    case 'sentinel': {
      const credentials = credentialsOf(topology.url);
      client = new TurnBatchedRedis({
        ...redisOptions(name),
        ...credentials,
        sentinels: topology.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: topology.name,
        role: 'master',
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
        ...(credentials.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        sentinelCommandTimeout: COMMAND_TIMEOUT_MS,
        sentinelRetryStrategy: backoff,
        // Subscribes to +switch-master on the sentinels, so a failover is acted on at once, not at the next error.
        failoverDetector: true,
      });
      break;
    }
  }
  // A listener is required anyway (ioredis prints unhandled error events).
  // While Redis is down every reconnect attempt fails the same way, so only
  // the first occurrence of each error is reported until the next connection.
  let lastReported: string | undefined;
  client.on('error', (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message === lastReported) return;
    lastReported = message;
    options.onError?.(err);
  });
  client.on('ready', () => {
    lastReported = undefined;
  });
  return client;
}

/**
 * Runs one Redis operation and turns any failure of it (refused, timed out,
 * connection dropped, a server error such as OOM, LOADING or CLUSTERDOWN)
 * into StoreUnavailableError, the one error the HTTP layer answers with 503.
 * The cause is kept for logs; the message stays free of hosts and ports
 * because it may reach an error_description.
 */
export function guarded<T>(operation: () => Promise<T>): Promise<T> {
  // Not an async function: every store call goes through here, and a plain
  // `then` costs one promise where an async wrapper's await costs three.
  try {
    return operation().then(undefined, asStoreError);
  } catch (err) {
    return Promise.reject(storeErrorOf(err));
  }
}

/** `err` as the store's error: a TesseraError as it is, anything else a StoreUnavailableError caused by it. */
export function storeErrorOf(err: unknown): unknown {
  return err instanceof TesseraError ? err : new StoreUnavailableError('the store is temporarily unavailable', { cause: err });
}

function asStoreError(err: unknown): never {
  throw storeErrorOf(err);
}

/** Throws the first error of a pipeline's or transaction's replies, so a failed command inside it is a 503 like any other. */
export function repliesOf(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (results === null) throw new Error('transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
  return results.map(([, value]) => value);
}

/**
 * Resolves once the connection is ready; rejects with the last connection
 * error (or a timeout error) when it is not ready within `timeoutMs`.
 */
export async function waitForReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  const started = Date.now();
  await connectionReady(redis, timeoutMs);
  // On a Cluster, the connection to each primary too (see '+node' above), so the first requests are not refused.
  if ((redis as Cluster).isCluster) {
    await Promise.all((redis as Cluster).nodes('master').map((node) => connectionReady(node, Math.max(1, timeoutMs - (Date.now() - started)))));
  }
}

function connectionReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let lastError: unknown;
    const onError = (err: unknown): void => {
      lastError = err;
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onEnd = (): void => {
      cleanup();
      reject(lastError ?? new Error('connection closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(lastError ?? new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      redis.off('error', onError);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    }
    redis.on('error', onError);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/** Quits politely when connected (pending replies arrive first), else just drops the socket and stops reconnecting. */
export async function closeRedisConnection(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: the connection went away while quitting
    }
  }
  redis.disconnect(false);
}
