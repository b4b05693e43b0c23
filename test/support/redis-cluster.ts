/**
 * A Redis Cluster of the test's own on loopback: `primaries` redis-servers
 * with cluster mode on (and `replicas` replicas for each), joined by
 * `redis-cli --cluster create`, data and node files in a temp dir. Started
 * once per suite (a few seconds) and destroyed by it; never touches the
 * run's shared Redis.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePorts, redisProcess, tempDir, type RedisProcess } from './redis-server.js';
import { globEscape } from '../store/redis-keys.js';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  process: RedisProcess;
}

export interface OwnCluster {
  /** Every node, primaries first as created (roles change after a failover). */
  nodes: ClusterNode[];
  /** `127.0.0.1:port,...` of the primaries: the value of TESSERA_REDIS_CLUSTER_NODES. */
  seeds: string;
  /** A cluster client for the test's own checks; disconnected by destroy(). */
  client(): Cluster;
  /** A plain connection to one node. */
  node(port: number): Redis;
  /** Deletes every key under the prefixes on every primary (SCAN is per node in a cluster). */
  deleteKeysUnder(...prefixes: string[]): Promise<void>;
  /** Every key under the prefix, from every primary. */
  keysUnder(prefix: string): Promise<string[]>;
  /** The primaries as a running node sees them: port, node id and how many slots each serves. */
  primaries(): Promise<Array<{ port: number; id: string; slots: number }>>;
  /** Moves `slots` slots from one primary to another with `redis-cli --cluster reshard`, keys and all. */
  reshard(fromId: string, toId: string, slots: number): Promise<void>;
  /** Waits until every running node says cluster_state:ok and agrees on who serves all 16384 slots. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  primaries?: number;
  /** Replicas per primary. */
  replicas?: number;
  /** cluster-node-timeout: how soon a silent primary counts as failed. */
  nodeTimeoutMs?: number;
}

async function clusterInfo(redis: Redis): Promise<Record<string, string>> {
  const text = (await redis.cluster('INFO')) as string;
  return Object.fromEntries(text.split(/\r?\n/).filter(Boolean).map((l) => l.split(':') as [string, string]));
}

export async function startOwnCluster(options: ClusterOptions = {}): Promise<OwnCluster> {
  const primaries = options.primaries ?? 3;
  const total = primaries * (1 + (options.replicas ?? 0));
  const dir = await tempDir('cluster');
  // Two ports per node: clients and the cluster bus (cluster-port, else port + 10000, which may be taken).
  const ports = await freePorts(total * 2);
  const nodes: ClusterNode[] = [];
  const extra: Redis[] = [];
  for (let i = 0; i < total; i++) {
    const port = ports[i * 2]!;
    const bus = ports[i * 2 + 1]!;
    const proc = redisProcess(port, () => [
      '--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
      '--dbfilename', `dump-${port}.rdb`, '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`,
      '--save', '', '--appendonly', 'no',
    ]);
    nodes.push({ port, process: proc });
  }
  const node = (port: number): Redis => {
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false });
    r.on('error', () => undefined);
    extra.push(r);
    return r;
  };

  const cluster: OwnCluster = {
    nodes,
    seeds: nodes.slice(0, primaries).map((n) => `127.0.0.1:${n.port}`).join(','),
    client() {
      const c = new Cluster(nodes.slice(0, primaries).map((n) => ({ host: '127.0.0.1', port: n.port })), {
        redisOptions: { maxRetriesPerRequest: 1 },
      });
      c.on('error', () => undefined);
      extra.push(c as unknown as Redis);
      return c;
    },
    node,
    async keysUnder(prefix) {
      const keys: string[] = [];
      for (const n of nodes.filter((x) => x.process.running)) {
        const r = node(n.port);
        try {
          if (!/role:master/.test(await r.info('replication'))) continue;
          let cursor = '0';
          do {
            const [next, batch] = await r.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 10_000);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
        } finally {
          r.disconnect();
        }
      }
      return [...new Set(keys)].sort();
    },
    async deleteKeysUnder(...prefixes) {
      const c = cluster.client();
      try {
        for (const prefix of prefixes) {
          // One key per DEL: a multi-key DEL must not cross slots.
          for (const key of await cluster.keysUnder(prefix)) await c.unlink(key);
        }
      } finally {
        c.disconnect();
      }
    },
    async primaries() {
      const running = nodes.find((n) => n.process.running);
      if (!running) throw new Error('no node of the cluster runs');
      const r = node(running.port);
      try {
        const text = (await r.cluster('NODES')) as string;
        return text.split('\n').filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l)).map((l) => {
          const [id, address, , , , , , , ...ranges] = l.split(' ');
          const slots = ranges.filter((x) => /^\d/.test(x)).reduce((n, x) => {
            const [a, b] = x.split('-').map(Number);
            return n + (b === undefined ? 1 : b - a! + 1);
          }, 0);
          return { port: Number(/:(\d+)@/.exec(address!)![1]), id: id!, slots };
        });
      } finally {
        r.disconnect();
      }
    },
    async reshard(fromId, toId, slots) {
      const running = nodes.find((n) => n.process.running)!;
      await run('redis-cli', [
        '--cluster', 'reshard', `127.0.0.1:${running.port}`, '--cluster-from', fromId, '--cluster-to', toId,
        '--cluster-slots', String(slots), '--cluster-yes', '--cluster-pipeline', '100',
      ], { timeout: 120_000 });
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const states = await Promise.all(nodes.filter((n) => n.process.running).map(async (n) => {
          const r = node(n.port);
          try {
            const info = await clusterInfo(r);
            return `${n.port}:${info.cluster_state}/${info.cluster_slots_ok}`;
          } catch (err) {
            return `${n.port}:${String(err)}`;
          } finally {
            r.disconnect();
          }
        }));
        last = states.join(' ');
        if (states.every((s) => s.endsWith(':ok/16384'))) return;
        if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms: ${last}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async destroy() {
      for (const c of extra.splice(0)) c.disconnect();
      await Promise.all(nodes.map((n) => n.process.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(nodes.map((n) => n.process.start()));
    await run('redis-cli', [
      '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', String(options.replicas ?? 0), '--cluster-yes',
    ], { timeout: 60_000 });
    await cluster.waitHealthy();
    // A healthy cluster may still have replicas doing their first sync: a
    // server started then, with WAIT on, has its first writes unconfirmed.
    if (options.replicas) await replicasLinked(nodes, node, options.replicas);
    return cluster;
  } catch (err) {
    const logs = nodes.map((n) => n.process.log()).join('\n').slice(-4_000);
    await cluster.destroy();
    throw new Error(`could not start a Redis Cluster: ${String(err)}\n${logs}`);
  }
}

/** Waits until every primary has its replicas connected and every replica's link to its primary is up (first sync done). */
async function replicasLinked(nodes: ClusterNode[], node: (port: number) => Redis, replicas: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const states = await Promise.all(nodes.map(async (n) => {
      const r = node(n.port);
      try {
        const info = await r.info('replication');
        if (/role:master/.test(info)) return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) >= replicas ? 'ok' : `${n.port}:${/connected_slaves:\d+/.exec(info)?.[0]}`;
        return /master_link_status:up/.test(info) ? 'ok' : `${n.port}:link down`;
      } catch (err) {
        return `${n.port}:${String(err)}`;
      } finally {
        r.disconnect();
      }
    }));
    last = states.filter((x) => x !== 'ok').join(' ');
    if (last === '') return;
    if (Date.now() > deadline) throw new Error(`replicas not in sync within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
