/**
 * A Tessera built in-process for HTTP tests: a temp keys dir, the memory
 * store (or a Redis one under this run's prefix), a silent logger and a fixed
 * issuer. Helpers get admin and client tokens the way a real caller would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createTessera, type Tessera } from '../../src/server.js';
import { createStore } from '../../src/store/create-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { testRedisPrefix, testRedisUrl } from './redis.js';
import { MemoryAuditSink } from '../../src/core/audit.js';

export const ISSUER = 'http://tessera.test';
export const ADMIN_SECRET = 'admin-secret-for-tests-0123456789';

export interface Harness extends Tessera {
  config: Config;
  keysDir: string;
  /** Every audit event the server recorded. */
  audit: MemoryAuditSink;
  /** An admin access token (scope tessera:admin). */
  adminToken(): Promise<string>;
  /** Creates a confidential client through the admin API; returns its id and secret. */
  createClient(body: Record<string, unknown>): Promise<{ client_id: string; client_secret: string }>;
  /** A client_credentials token for a client. */
  clientToken(clientId: string, secret: string, extra?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

interface HarnessOptions {
  env?: Record<string, string>;
  redis?: boolean;
  /** The server's logger (default: silent), e.g. one writing to memory to assert log lines. */
  logger?: Logger;
  /** The clock of the background work and of the memory store (default Date.now). */
  now?: () => number;
  /** Run the background work on its own timers (default false: tests drive it, e.g. h.webhooks.runOnce()). */
  background?: boolean;
}

/** Builds Tessera for `issuer` and the helpers around it; `stopServer` runs first on stop. */
async function build(options: HarnessOptions, issuer: string, extraEnv: Record<string, string>, stopServer: () => Promise<void>): Promise<Harness> {
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-'));
  const config = loadConfig({
    TESSERA_KEYS_DIR: keysDir,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    TESSERA_KEYS_POLL_INTERVAL: '0',
    TESSERA_LOG_LEVEL: 'silent',
    // Suites hammer the token endpoint from one address; the rate-limit tests set their own limits.
    TESSERA_RATE_LIMIT_AUTH_FAILURES: '100000/60',
    TESSERA_RATE_LIMIT_CLIENT: '100000/60',
    // The cheapest scrypt the server accepts: suites create users and chosen secrets by the dozen.
    // The default cost (2^17, about half a second per hash) has its own tests.
    TESSERA_PASSWORD_HASH_COST: '10',
    ...extraEnv,
    ...(options.redis ? { REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: testRedisPrefix('http') } : {}),
    ...options.env,
  });
  const store = options.now && !config.redisUrl
    ? new MemoryStore({ now: options.now })
    : await createStore({ redisUrl: config.redisUrl ?? undefined, prefix: config.redisPrefix });
  const audit = new MemoryAuditSink();
  const tessera = await createTessera(config, {
    issuer, logger: options.logger ?? pino({ level: 'silent' }), store, audit, now: options.now, background: options.background ?? false,
  });

  const clientToken = async (clientId: string, secret: string, extra: Record<string, string> = {}) => {
    const res = await request(tessera.app)
      .post('/oauth/token')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials', ...extra });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  };
  const adminToken = () => clientToken('tessera-admin', ADMIN_SECRET);

  return {
    ...tessera,
    config,
    keysDir,
    audit,
    adminToken,
    clientToken,
    async createClient(body) {
      const res = await request(tessera.app)
        .post('/admin/v1/clients')
        .set('Authorization', `Bearer ${await adminToken()}`)
        .send(body);
      if (res.status !== 201) throw new Error(`client create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { client_id: res.body.client_id, client_secret: res.body.client_secret };
    },
    async stop() {
      await stopServer();
      await tessera.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}

export function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  return build(options, ISSUER, {}, async () => undefined);
}

/** Decodes a JWT's header and payload without verifying (for assertions only). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}

/**
 * A harness served over real HTTP on 127.0.0.1 with the issuer equal to its
 * URL, for clients that discover and check the issuer (openid-client, a
 * browser).
 */
export async function startListeningHarness(options: HarnessOptions = {}): Promise<Harness & { url: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const harness = await build(options, url, { TESSERA_ISSUER: url }, async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  server.on('request', harness.app);
  return { ...harness, url };
}
