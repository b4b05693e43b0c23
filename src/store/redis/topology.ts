/**
 * How Tessera reaches Redis (contract: REDIS_URL, TESSERA_REDIS_CLUSTER_NODES,
 * TESSERA_REDIS_SENTINELS): one server, a Redis Cluster, or a primary that
 * Sentinel manages. Parsed by config.ts, opened by connection.ts, named in
 * the start banner, /readyz and `tessera config check`.
 */

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTopology =
  /** One server at `url` (`redis://` or `rediss://`, user, password and database in the URL). */
  | { mode: 'single'; url: string }
  /** Redis Cluster from these seed nodes; `url` (optional) gives the user, password and TLS of every node. */
  | { mode: 'cluster'; nodes: readonly HostPort[]; url: string | null }
  /**
   * The primary that the sentinels name `name`; `url` (optional) gives the
   * user, password, database and TLS of the data nodes, `sentinelPassword`
   * the password of the sentinels themselves (they often have none).
   */
  | { mode: 'sentinel'; sentinels: readonly HostPort[]; name: string; url: string | null; sentinelPassword: string | null };

/** What /readyz and the banner call the store. */
export type StoreMode = 'memory' | 'redis' | 'redis-cluster' | 'redis-sentinel';

export function storeMode(topology: RedisTopology | null): StoreMode {
  if (topology === null) return 'memory';
  return topology.mode === 'single' ? 'redis' : `redis-${topology.mode}`;
}

/** `host:port` pairs, comma-separated; null when any entry is not one (IPv6 hosts in brackets). */
export function parseHostPorts(text: string): HostPort[] | null {
  const out: HostPort[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part);
    if (!m) return null;
    const port = Number(m[2]);
    if (port < 1 || port > 65_535) return null;
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return out.length ? out : null;
}

const hostPort = ({ host, port }: HostPort) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

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

/** One line for people: which mode, where, with TLS or not. Never a password. */
export function describeTopology(topology: RedisTopology | null): string {
  if (topology === null) return 'memory (nothing is kept across a restart)';
  const tls = topology.url?.startsWith('rediss:') ? ', TLS' : '';
  switch (topology.mode) {
    case 'single':
      return `Redis at ${redactRedisUrl(topology.url)}`;
    case 'cluster':
      return `Redis Cluster from ${topology.nodes.length} seed node(s) ${topology.nodes.map(hostPort).join(',')}${tls}`;
    case 'sentinel':
      return `Redis primary "${topology.name}" through ${topology.sentinels.length} sentinel(s) ${topology.sentinels.map(hostPort).join(',')}${tls}`;
  }
}

/** Where to say a connection failed: the URL, the seed nodes or the sentinels, without a password. */
export function whereOf(topology: RedisTopology): string {
  switch (topology.mode) {
    case 'single': return redactRedisUrl(topology.url);
    case 'cluster': return `the Redis Cluster at ${topology.nodes.map(hostPort).join(',')}`;
    case 'sentinel': return `the primary "${topology.name}" of the sentinels at ${topology.sentinels.map(hostPort).join(',')}`;
  }
}
