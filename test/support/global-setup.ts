import { randomBytes } from 'node:crypto';
// Jest loads global setup outside moduleNameMapper, so this file imports no
// local TypeScript modules (chromium.mjs is plain JavaScript, resolved as is).
import { findOrProvideChromium } from './chromium.mjs';

/**
 * Finds the Redis the test run uses: the one at REDIS_URL (default
 * redis://127.0.0.1:6379) when it answers, else a `redis-server` started on a
 * free port for this run only, else a clear failure. Redis suites are never
 * skipped silently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestRedis {
  url: string;
  child: ChildProcess | null;
}

export async function findOrStartRedis(): Promise<TestRedis> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(url)) return { url, child: null };

  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (!binary) {
    throw new Error(
      `No Redis answers at ${url} and there is no redis-server to start. ` +
        'Set REDIS_URL to a reachable Redis, or install redis-server (Debian: apt-get install -y redis-server).',
    );
  }
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: false,
  });
  const own = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await answers(own)) return { url: own, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Started ${binary} on port ${port}, but it did not answer within 5 s.`);
}


/**
 * Chromium for the browser suites (test/support/browser.ts). A run without it
 * still runs every other suite: the browser suites then fail, first thing,
 * with the message saying what to install.
 */
async function provideChromium(): Promise<void> {
  // eslint-disable-next-line no-console
  const log = (line: string) => console.log(line);
  try {
    const found = await findOrProvideChromium({ log });
    process.env.TEST_CHROMIUM_PATH = found.path;
    log(`Test Chromium: ${found.path} (${found.source})`);
  } catch (err) {
    process.env.TEST_CHROMIUM_ERROR = err instanceof Error ? err.message : String(err);
    log(`Test Chromium: none; the browser suites will fail.\n${process.env.TEST_CHROMIUM_ERROR}`);
  }
}

/**
 * Runs once before all suites. Workers inherit process.env, so every suite
 * sees the Redis URL, this run's own key prefix and the Chromium to drive.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await findOrStartRedis();
  process.env.TEST_REDIS_URL = redis.url;
  process.env.TEST_REDIS_PREFIX = `tessera-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
  (globalThis as Record<string, unknown>).__TESSERA_TEST_REDIS_CHILD__ = redis.child;
  // eslint-disable-next-line no-console
  console.log(`\nTest Node: ${process.version}`);
  // eslint-disable-next-line no-console
  console.log(`Test Redis: ${redis.url}${redis.child ? ' (started for this run)' : ''}, key prefix ${process.env.TEST_REDIS_PREFIX}`);
  await provideChromium();
}
