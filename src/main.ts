/**
 * `npm start`: parse the environment, listen, build Tessera, serve.
 * Bad configuration exits with code 2 and one line per problem, never a
 * stack trace (contract: "Starting it").
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from './config/config.js';
import { ConfigError, StoreUnavailableError } from './core/errors.js';
import { createLogger } from './logger.js';
import { createTessera, type Tessera } from './server.js';

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

const logger = createLogger(config.logLevel);
if (!config.redisUrl) {
  logger.warn('REDIS_URL is not set: using the in-memory store; revocations, refresh tokens and API tokens are lost on restart');
}

// Listen first so that PORT=0 gives the issuer its real port; until Tessera
// is built, requests get 503 rather than hanging.
const server = http.createServer((_req, res) => {
  res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', 'Cache-Control': 'no-store' });
  res.end('{"error":"temporarily_unavailable","error_description":"starting"}');
});
server.on('error', (err: NodeJS.ErrnoException) => fail([`cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}`]));
server.listen(config.port, config.host, () => void start());

async function start(): Promise<void> {
  const port = (server.address() as AddressInfo).port;
  const issuer = config.issuer ?? `http://localhost:${port}`;
  let tessera: Tessera;
  try {
    tessera = await createTessera(config, { issuer, logger });
  } catch (err) {
    server.close();
    if (err instanceof ConfigError) fail(err.problems);
    if (err instanceof StoreUnavailableError) fail([err.message]);
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'could not start');
    process.exit(1);
  }
  server.removeAllListeners('request');
  server.on('request', tessera.app);
  if (tessera.adminSecret) {
    process.stdout.write(
      '\nCreated the admin client "tessera-admin". Its secret is shown now and will not be shown again:\n' +
        `  client_id:     tessera-admin\n  client_secret: ${tessera.adminSecret}\n\n`,
    );
  }
  logger.info({ host: config.host, port, issuer, store: tessera.ctx.store.kind }, `tessera listening on port ${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => process.exit(0), 10_000);
    deadline.unref();
    server.close(() => {
      void tessera.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
