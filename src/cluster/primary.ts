/**
 * TESSERA_WORKERS > 1: this process (the primary) serves nothing itself; it
 * forks the workers (node:cluster), which share PORT (and
 * TESSERA_METRICS_PORT), the keys and Redis.
 *
 * - Start: the first worker starts alone, so that what a first start creates
 *   (signing keys, the first admin and its printed secret, the bootstrap
 *   file's clients) is created once; then the others start together. Once
 *   all serve, the primary logs `tessera listening` and prints the banner,
 *   once. A worker that fails to start stops the whole start, with its exit
 *   code (2: bad configuration).
 * - A worker that dies later is replaced, after 250 ms, doubling with every
 *   other death within a minute, at most 30 s; each is logged.
 * - SIGTERM/SIGINT: every worker drains as a single process does (/readyz
 *   503, requests in flight finish, TESSERA_SHUTDOWN_TIMEOUT), and the
 *   primary exits 0 once all have exited. A worker still running well after
 *   its own deadline is killed.
 * - Metrics: a scrape reaching any worker is answered with the sum over
 *   every serving worker (prom-client's AggregatorRegistry; gauges that
 *   every worker reads alike take the largest value, see scrape-gauges.ts),
 *   plus the primary's own tessera_workers and tessera_worker_restarts_total.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Exposition, MetricJson } from '../core/metrics/metrics.js';
import { flushLogs } from '../logger.js';
import { baseUrl, readyBanner } from '../start-messages.js';
import { describeTopology, storeMode } from '../store/redis/topology.js';
import { isMessage, type CollectAnswer, type PrimaryMessage, type ReadyMessage, type ScrapeRequest } from './messages.js';

/** How long a collect waits for each worker's values; a worker that does not answer in time is left out of that scrape. */
const COLLECT_TIMEOUT_MS = 2_000;
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;
/** Deaths within this window make the next restart wait longer. */
const CRASH_WINDOW_MS = 60_000;
/** After a stop signal, a worker gets its shutdown timeout, the store's close (2 s) and this much more before it is killed. */
const STOP_MARGIN_MS = 5_000;

/**
 * Set for the workers forked once the first serves: the port it listens on,
 * which makes the issuer when PORT=0 and TESSERA_ISSUER is unset, so that
 * they can build before they listen.
 */
export const WORKER_PORT_VARIABLE = 'TESSERA_WORKER_PORT';

export interface PrimaryOptions {
  config: Config;
  logger: Logger;
  /** Print the start banner (a person at a terminal). */
  banner: boolean;
}

/** The delay before replacing a worker, given how many died within CRASH_WINDOW_MS (this one included). */
export function restartDelay(recentDeaths: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, recentDeaths - 1));
}

export function runPrimary({ config, logger, banner }: PrimaryOptions): void {
  const count = config.workers;
  const serving = new Map<Worker, ReadyMessage>();
  const deaths: number[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let started = false;
  let stopping = false;
  let startFailure: number | null = null;

  const own = new Registry();
  new Gauge({
    name: 'tessera_workers', help: 'Worker processes serving (TESSERA_WORKERS).', registers: [own],
    collect() { this.set(serving.size); },
  });
  const restartCount = new Counter({
    name: 'tessera_worker_restarts_total', help: 'Workers that exited unexpectedly and were replaced.', registers: [own],
  });

  let port = 0;
  const fork = (): Worker => {
    const worker = cluster.fork(port === 0 ? {} : { [WORKER_PORT_VARIABLE]: String(port) });
    worker.on('message', (message: unknown) => onMessage(worker, message));
    return worker;
  };

  function onMessage(worker: Worker, message: unknown): void {
    if (isMessage<ReadyMessage>(message, 'tessera:ready')) {
      serving.set(worker, message);
      port = message.port;
      if (!started) onStarting();
    } else if (isMessage<ScrapeRequest>(message, 'tessera:scrape')) {
      void scrape().then(
        (exposition) => reply(worker, { type: 'tessera:scrape-answer', id: message.id, exposition }),
        (err: unknown) => reply(worker, { type: 'tessera:scrape-answer', id: message.id, error: String(err) }),
      );
    } else if (isMessage<CollectAnswer>(message, 'tessera:collected')) {
      collecting.get(message.id)?.(message.values);
    }
  }

  function reply(worker: Worker, message: PrimaryMessage): void {
    if (worker.isConnected()) worker.send(message);
  }

  /** The start sequence: the first worker alone, then the others, then one announcement. */
  function onStarting(): void {
    if (stopping || startFailure !== null) return;
    if (serving.size === 1 && Object.keys(cluster.workers ?? {}).length === 1) {
      for (let i = 1; i < count; i++) fork();
      if (count > 1) return;
    }
    if (serving.size < count) return;
    started = true;
    const { metricsPort } = [...serving.values()][0]!;
    const url = baseUrl(config.host, port);
    const issuer = config.issuer ?? `http://localhost:${port}`;
    const store = storeMode(config.redis);
    if (metricsPort !== null) logger.info({ host: config.host, metrics_port: metricsPort }, `metrics listening on port ${metricsPort}`);
    logger.info(
      { host: config.host, port, url, issuer, store, redis: describeTopology(config.redis), workers: count },
      `tessera listening on port ${port}`,
    );
    if (banner) process.stdout.write(readyBanner({ url, issuer, store }));
  }

  cluster.on('exit', (worker, code, signal) => {
    serving.delete(worker);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) finishStop();
      return;
    }
    if (!started) {
      // A worker that cannot start (a bad key directory, an unreachable Redis, a port in use) has said why; so does the exit code.
      if (startFailure === null) {
        startFailure = code === 2 ? 2 : 1;
        logger.error({ worker: worker.id, pid: worker.process.pid, exit_code: code, signal }, 'a worker could not start; stopping');
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) void flushLogs(logger).then(() => process.exit(startFailure!));
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - CRASH_WINDOW_MS) deaths.shift();
    const delay = restartDelay(deaths.length);
    restartCount.inc();
    logger.error(
      { worker: worker.id, pid: worker.process.pid, exit_code: code, signal, restart_in_ms: delay },
      `worker ${worker.id} exited unexpectedly; starting another in ${delay} ms`,
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  const collecting = new Map<number, (values: MetricJson[]) => void>();
  let nextCollect = 0;

  /** Every serving worker's values, each within COLLECT_TIMEOUT_MS (a worker that does not answer is left out). */
  function collect(worker: Worker): Promise<MetricJson[] | null> {
    const id = nextCollect++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { collecting.delete(id); resolve(null); }, COLLECT_TIMEOUT_MS);
      collecting.set(id, (values) => { clearTimeout(timer); collecting.delete(id); resolve(values); });
      reply(worker, { type: 'tessera:collect', id });
    });
  }

  async function scrape(): Promise<Exposition> {
    const answers = await Promise.all([...serving.keys()].map(collect));
    const values = answers.filter((a): a is MetricJson[] => a !== null);
    if (values.length === 0) throw new Error('no worker answered');
    const summed = AggregatorRegistry.aggregate(values);
    const body = `${await summed.metrics()}${await own.metrics()}`;
    return { contentType: summed.contentType, body };
  }

  function stop(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    logger.info({ signal, workers: workers.length, shutdown_timeout: config.shutdownTimeout }, 'shutting down');
    if (workers.length === 0) finishStop();
    // Each worker drains as a single process does (src/main.ts); SIGINT at a terminal reaches them directly too, and twice is harmless.
    for (const worker of workers) worker.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (!worker) continue;
        logger.warn({ worker: worker.id, pid: worker.process.pid }, 'a worker did not stop in time; killing it');
        worker.process.kill('SIGKILL');
      }
    }, config.shutdownTimeout * 1000 + 2_000 + STOP_MARGIN_MS);
    deadline.unref();
  }

  let finished = false;
  function finishStop(): void {
    if (finished) return;
    finished = true;
    logger.info('stopped');
    void flushLogs(logger).then(() => process.exit(0));
  }

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (config.metricsPort === null && config.metricsToken === null) {
    // The contract keeps GET /metrics on the main port; say so when nothing guards it (once, not per worker).
    logger.warn('GET /metrics is open to anyone who reaches this port: set TESSERA_METRICS_PORT or TESSERA_METRICS_TOKEN');
  }
  fork();
}
