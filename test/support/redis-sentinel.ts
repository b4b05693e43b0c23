/**
 * A Sentinel-managed Redis of the test's own on loopback: a primary, a
 * replica and three sentinels (quorum 2), config and data in a temp dir.
 * Failover is quick (down-after 1 s) so a suite can trigger one and watch
 * Tessera ride it out.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePorts, redisProcess, tempDir, type RedisProcess } from './redis-server.js';

export const SENTINEL_NAME = 'tessera-test';

export interface OwnSentinel {
  name: string;
  /** The two data nodes, the first one the primary at start. */
  servers: RedisProcess[];
  sentinels: RedisProcess[];
  /** `127.0.0.1:port,...`: the value of TESSERA_REDIS_SENTINELS. */
  sentinelList: string;
  /** The port of the current primary, as the sentinels see it. */
  primaryPort(): Promise<number>;
  /** `SENTINEL FAILOVER` and wait until the sentinels name another primary and it answers as one. */
  failover(timeoutMs?: number): Promise<{ from: number; to: number }>;
  /** A plain connection to one port. */
  connect(port: number): Redis;
  destroy(): Promise<void>;
}

export async function startOwnSentinel(): Promise<OwnSentinel> {
  const dir = await tempDir('sentinel');
  const [primaryPort, replicaPort, ...sentinelPorts] = await freePorts(5) as [number, number, ...number[]];
  const extra: Redis[] = [];
  const data = (port: number, replicaOf?: number) => redisProcess(port, () => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--dbfilename', `dump-${port}.rdb`, '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`,
    '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
    // Replication over loopback without a disk round trip.
    '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0',
    ...(replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(replicaOf)]),
  ]);
  const servers = [data(primaryPort), data(replicaPort, primaryPort)];
  const sentinels = sentinelPorts.map((port) => {
    const file = path.join(dir, `sentinel-${port}.conf`);
    return { port, file, process: redisProcess(port, () => [file, '--sentinel']) };
  });
  const connect = (port: number): Redis => {
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    extra.push(r);
    return r;
  };
  const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  };
  const waitFor = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const own: OwnSentinel = {
    name: SENTINEL_NAME,
    servers,
    sentinels: sentinels.map((s) => s.process),
    sentinelList: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    connect,
    async primaryPort() {
      const [, port] = await ask(sentinelPorts[0]!, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME) as Promise<[string, string]>);
      return Number(port);
    },
    async failover(timeoutMs = 30_000) {
      const from = await own.primaryPort();
      await ask(sentinelPorts[0]!, (r) => r.call('SENTINEL', 'FAILOVER', SENTINEL_NAME));
      let to = from;
      await waitFor('no new primary', timeoutMs, async () => {
        const ports = await Promise.all(sentinelPorts.map((p) => ask(p, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME) as Promise<[string, string]>)));
        to = Number(ports[0]![1]);
        if (to === from || ports.some(([, p]) => Number(p) !== to)) return false;
        return /role:master/.test(await ask(to, (r) => r.info('replication')));
      });
      return { from, to };
    },
    async destroy() {
      for (const c of extra.splice(0)) c.disconnect();
      await Promise.all([...sentinels.map((s) => s.process.kill()), ...servers.map((s) => s.kill())]);
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const s of servers) await s.start();
    await waitFor('the replica did not sync', 20_000, async () =>
      /master_link_status:up/.test(await ask(replicaPort, (r) => r.info('replication'))));
    for (const s of sentinels) {
      await writeFile(s.file, [
        `port ${s.port}`, 'bind 127.0.0.1', `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'));
      await s.process.start();
    }
    // Sentinels find the replica and each other through the primary (hello messages every 2 s).
    await waitFor('the sentinels did not discover each other and the replica', 30_000, async () => {
      for (const port of sentinelPorts) {
        const [others, replicas] = await ask(port, async (r) => [
          (await r.call('SENTINEL', 'SENTINELS', SENTINEL_NAME)) as unknown[],
          (await r.call('SENTINEL', 'REPLICAS', SENTINEL_NAME)) as unknown[],
        ]);
        if (others.length < 2 || replicas.length < 1) return false;
      }
      return true;
    });
    return own;
  } catch (err) {
    const logs = [...servers, ...sentinels.map((s) => s.process)].map((p) => p.log()).join('\n').slice(-4_000);
    await own.destroy();
    throw new Error(`could not start Redis with Sentinel: ${String(err)}\n${logs}`);
  }
}
