/**
 * The one Redis connection of a RedisStore: how it is configured so that a
 * Redis outage turns into fast StoreUnavailableErrors (503s) instead of
 * hanging requests, and how it heals by itself when Redis comes back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError, TesseraError } from '../../core/errors.js';

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL, credentials and database included. */
  url: string;
  /** Told about connection errors (once per distinct error until the next successful connection). */
  onError?: ((err: unknown) => void) | undefined;
  /** Shown by `CLIENT LIST`, so operators can tell Tessera's connections apart. Defaults to `tessera`. */
  connectionName?: string | undefined;
}

/** Upper bound for any single command; every store call therefore settles within about this. */
export const COMMAND_TIMEOUT_MS = 1_500;
const CONNECT_TIMEOUT_MS = 1_500;
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Why these options:
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
 *   READONLY; reconnecting reaches the new primary behind the same address.
 * - enableAutoPipelining — the commands that concurrent requests issue in the
 *   same event-loop tick leave in one socket write instead of one each: under
 *   load the write syscalls, not Redis, were the cost (bench --profile).
 *   Every command still has its own reply, error and commandTimeout.
 */
export function redisOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    enableAutoPipelining: true,
  };
}

export function openRedisConnection(options: RedisConnectionOptions): Redis {
  const redis = new Redis(options.url, redisOptions(options.connectionName ?? 'tessera'));
  // A listener is required anyway (ioredis prints unhandled error events).
  // While Redis is down every reconnect attempt fails the same way, so only
  // the first occurrence of each error is reported until the next connection.
  let lastReported: string | undefined;
  redis.on('error', (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message === lastReported) return;
    lastReported = message;
    options.onError?.(err);
  });
  redis.on('ready', () => {
    lastReported = undefined;
  });
  return redis;
}

/** The URL for messages and logs: the password replaced, so it never reaches a log line. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

/**
 * Runs one Redis operation and turns any failure of it (refused, timed out,
 * connection dropped, a server error such as OOM or LOADING) into
 * StoreUnavailableError, the one error the HTTP layer answers with 503. The
 * cause is kept for logs; the message stays free of hosts and ports because
 * it may reach an error_description.
 */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw new StoreUnavailableError('the store is temporarily unavailable', { cause: err });
  }
}

/**
 * Resolves once the connection is ready; rejects with the last connection
 * error (or a timeout error) when it is not ready within `timeoutMs`.
 */
export function waitForReady(redis: Redis, timeoutMs: number): Promise<void> {
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
export async function closeRedisConnection(redis: Redis): Promise<void> {
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
