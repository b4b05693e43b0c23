/**
 * `npm start`: parse the environment, listen, build Tessera, serve.
 * Bad configuration exits with code 2 and one line per problem, never a
 * stack trace (contract: "Starting it").
 *
 * With TESSERA_WORKERS > 1 this process becomes the cluster's primary
 * (src/cluster/primary.ts) and each worker it forks runs this file again
 * and serves, as a single process does, with what the primary says once
 * (warnings, the listening line, the banner) left to the primary.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig, type Config } from './config/config.js';
import { ConfigError, StoreUnavailableError } from './core/errors.js';
import { createLogger, flushLogs, resolveLogFormat } from './logger.js';
import { unknownVariableWarnings } from './config/unknown-variables.js';
import { MEMORY_STORE_WARNING, adminSecretNotice, baseUrl, listenFailure, readyBanner } from './start-messages.js';
import { createTessera, type Tessera } from './server.js';
import { drainServers, trackRequests } from './http/graceful-stop.js';
import { createHttpServer } from './http/http-server.js';
import { markShuttingDown } from './http/routes/health.js';
import { describeTopology, storeMode } from './store/redis/topology.js';
import { runPrimary, WORKER_PORT_VARIABLE } from './cluster/primary.js';
import { announceReady, linkMetrics } from './cluster/worker-link.js';
import { tuneGarbageCollection } from './gc-tuning.js';

// Before any request is served (src/gc-tuning.ts says why).
tuneGarbageCollection();

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`tessera: ${line}\n`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems);
  throw err;
}

const logFormat = resolveLogFormat(config.logFormat);
/** A worker of TESSERA_WORKERS: its lines name it, and the primary speaks for the whole. */
const worker = config.workers > 1 && cluster.isWorker ? cluster.worker! : null;
// The workers share the primary's standard output: a line must reach it in one write of its own, or
// another worker's write can land in the middle of it, which buffered writes of many lines allow.
const rootLogger = createLogger(config.logLevel, worker && logFormat === 'json' ? pino.destination({ dest: 1, sync: true }) : undefined, logFormat);
const logger = worker ? rootLogger.child({ worker: worker.id, pid: process.pid }) : rootLogger;
if (!worker) {
  for (const warning of unknownVariableWarnings(process.env)) logger.warn(warning);
  if (!config.redis) logger.warn(MEMORY_STORE_WARNING);
}
// Listen first so that PORT=0 gives the issuer its real port; until Tessera
// is built, requests get 503 rather than hanging.
const starting: http.RequestListener = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', 'Cache-Control': 'no-store' });
  res.end('{"error":"temporarily_unavailable","error_description":"starting"}');
};
let handle: http.RequestListener = starting;
// Header, request and keep-alive timeouts, connection and header limits: src/http/http-server.ts.
const server = createHttpServer(config.connections, (req, res) => handle(req, res));
trackRequests(server);
/** Every listener of the process; the stop closes them all. */
const servers: http.Server[] = [server];
let tessera: Tessera | undefined;

function serve(): void {
  server.on('error', (err: NodeJS.ErrnoException) => fail([listenFailure(err, config.host, config.port, 'PORT')]));
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
  // A worker that joins a serving cluster builds before it listens, or it would answer its share of the connections with 503.
  const known = worker ? (config.port !== 0 ? config.port : Number(process.env[WORKER_PORT_VARIABLE] ?? 0)) : 0;
  if (known !== 0) {
    void build(known).then(() => server.listen(config.port, config.host, () => void started()));
  } else {
    server.listen(config.port, config.host, () => void build((server.address() as AddressInfo).port).then(started));
  }
}

async function build(port: number): Promise<void> {
  const issuer = config.issuer ?? `http://localhost:${port}`;
  try {
    tessera = await createTessera(config, { issuer, logger });
  } catch (err) {
    server.close();
    if (err instanceof ConfigError) fail(err.problems);
    if (err instanceof StoreUnavailableError) fail([err.message]);
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'could not start');
    process.exit(1);
  }
  handle = tessera.app;
}

async function started(): Promise<void> {
  if (!tessera || stopping) return;
  const port = (server.address() as AddressInfo).port;
  const issuer = config.issuer ?? `http://localhost:${port}`;
  const metricsPort = config.metricsPort === null ? null : await listenForMetrics(tessera, config.metricsPort);
  if (config.metricsPort === null && config.metricsToken === null && !worker) {
    // The contract keeps GET /metrics on the main port; say so when nothing guards it.
    logger.warn('GET /metrics is open to anyone who reaches this port: set TESSERA_METRICS_PORT or TESSERA_METRICS_TOKEN');
  }
  // Only the first worker of a cluster can create the admin: it starts alone (src/cluster/primary.ts).
  if (tessera.adminSecret) process.stdout.write(adminSecretNotice(tessera.adminSecret, !config.redis));
  if (worker) {
    linkMetrics(tessera.ctx.metrics);
    logger.info({ port }, 'worker ready');
    announceReady(port, metricsPort);
    return;
  }
  const url = baseUrl(config.host, port);
  // Names the store's mode (memory, redis, redis-sentinel, redis-cluster) and where it is, without a password.
  const store = storeMode(config.redis);
  logger.info({ host: config.host, port, url, issuer, store, redis: describeTopology(config.redis) }, `tessera listening on port ${port}`);
  if (logFormat === 'pretty') process.stdout.write(readyBanner({ url, issuer, store }));
}

/**
 * TESSERA_METRICS_PORT: /metrics on a listener of its own (on HOST), so that
 * it can stay off the public port. Closed by the stop with the others.
 * Port 0 means any free port: the chosen one is logged, like the main one's.
 */
function listenForMetrics(t: Tessera, wanted: number): Promise<number> {
  const metrics = createHttpServer(config.connections, t.metricsApp);
  servers.push(metrics);
  metrics.on('error', (err: NodeJS.ErrnoException) => fail([listenFailure(err, config.host, wanted, 'TESSERA_METRICS_PORT')]));
  return new Promise((resolve) => metrics.listen(wanted, config.host, () => {
    const port = (metrics.address() as AddressInfo).port;
    // A cluster's primary logs it once for every worker.
    if (!worker) logger.info({ host: config.host, metrics_port: port }, `metrics listening on port ${port}`);
    resolve(port);
  }));
}

/** Closing the store after the drain: enough for a QUIT, or for audit writes to fail (connection.ts COMMAND_TIMEOUT_MS). */
const CLOSE_GRACE_MS = 2_000;
let stopping = false;

/**
 * SIGTERM/SIGINT: /readyz turns 503 and the listeners stop accepting; requests
 * in flight finish and their answers close their connections; then the audit
 * log is flushed and the store closed. Requests still running after
 * TESSERA_SHUTDOWN_TIMEOUT are cut off and logged. The exit code is 0 either
 * way: the stop was asked for and it happened.
 */
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, shutdown_timeout: config.shutdownTimeout }, 'shutting down');
  if (tessera) markShuttingDown(tessera.app);
  const drained = await drainServers(servers, config.shutdownTimeout * 1000);
  if (drained.forced) {
    logger.warn({ requests_cut_off: drained.cutOff }, `requests still running after ${config.shutdownTimeout} s were cut off`);
  }
  const closing = tessera?.close();
  if (closing) {
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CLOSE_GRACE_MS));
    const outcome = await Promise.race([closing.then(() => 'closed' as const), timer]).catch((err: unknown) => {
      logger.warn({ err: String(err) }, 'could not close the store cleanly');
      return 'failed' as const;
    });
    if (outcome === 'timeout') logger.warn(`the store did not close within ${CLOSE_GRACE_MS} ms`);
  }
  logger.info('stopped');
  await flushLogs(logger);
  process.exit(0);
}

if (config.workers > 1 && cluster.isPrimary) runPrimary({ config, logger, banner: logFormat === 'pretty' });
else serve();
