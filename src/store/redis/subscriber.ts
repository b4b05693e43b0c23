/**
 * Pub/sub connections. A subscribed connection can do nothing else, so each
 * subscription has a connection of its own, which never resubscribes by
 * itself: its owner subscribes on every 'ready' and trusts it only once
 * Redis confirmed.
 *
 * On a Redis Cluster, PUBLISH (not sharded) reaches subscribers on every
 * node, so the subscriber is one plain connection to one primary; when it
 * ends, the owner opens another, to the next primary (`attempt`). With
 * Sentinel the connection follows the primary the sentinels name, like the
 * main connection.
 */
import { Redis, type Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { isCluster } from './cross-slot.js';

/** After a subscriber ended: wait before opening another. */
export const RESUBSCRIBE_DELAY_MS = 500;

/** A connection for subscribing, named `<main name>-<purpose>`; `attempt` picks the Cluster primary to try. */
export function openSubscriber(redis: RedisClient, purpose: string, attempt: number): Redis {
  if (!isCluster(redis)) {
    return redis.duplicate({ autoResubscribe: false, enableOfflineQueue: true, connectionName: `${redis.options.connectionName ?? 'tessera'}-${purpose}` });
  }
  const cluster = redis as Cluster;
  const nodes = cluster.nodes('master');
  // No node known yet (still connecting): this attempt fails at once and the next one asks again.
  const node = nodes.length ? nodes[attempt % nodes.length]!.options : { host: '127.0.0.1', port: 0 };
  return new Redis({
    ...cluster.options.redisOptions,
    host: node.host,
    port: node.port,
    autoResubscribe: false,
    enableOfflineQueue: true,
    connectionName: `${cluster.options.redisOptions?.connectionName ?? 'tessera'}-${purpose}`,
    // One attempt per node: when it goes, the next primary is tried (on 'end').
    retryStrategy: () => null,
  });
}

/**
 * Listens on `channel` until stopped: `onMessage` per message, `onLive`
 * each time the subscription is (re)confirmed (messages sent while it was
 * down are lost, so the owner catches up then).
 */
export function subscribe(
  redis: RedisClient, channel: string, purpose: string,
  handlers: { onMessage: (message: string) => void; onLive?: () => void },
): () => Promise<void> {
  let closed = false;
  let attempt = 0;
  let current: Redis | null = null;
  let timer: NodeJS.Timeout | undefined;
  const open = (): void => {
    if (closed) return;
    const sub = openSubscriber(redis, purpose, attempt++);
    current = sub;
    sub.on('message', (ch: string, message: string) => { if (ch === channel) handlers.onMessage(message); });
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => { if (current === sub && sub.status === 'ready') handlers.onLive?.(); },
        () => sub.disconnect(true),
      );
    });
    sub.on('error', () => undefined);
    sub.on('end', () => {
      if (closed || current !== sub) return;
      timer = setTimeout(open, RESUBSCRIBE_DELAY_MS);
      timer.unref();
    });
  };
  open();
  return async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    const sub = current;
    current = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  };
}
