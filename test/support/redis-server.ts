/**
 * A redis-server of a test's own (outage and shutdown tests stop it, restart
 * it and list its clients, which they cannot do to the run's shared Redis):
 * a free port, AOF on in a temp dir, so that what Tessera wrote survives a
 * restart, as the README's operations advice says it should.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, so it writes its AOF and exits); resolves when it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir; resolves once it answers PING. */
  start(): Promise<void>;
  /** A plain client for the test's own checks; disconnected by destroy(). */
  client(): Redis;
  /** Stops the server if it runs and deletes its data dir. Safe to call twice and after a failure. */
  destroy(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** PING over a plain socket: a refused ioredis connect leaves handles behind that keep jest from exiting. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';
  const clients: Redis[] = [];

  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (log += d));
    proc.stderr!.on('data', (d) => (log += d));
    child = proc;
    // Slow shared machines: up to 15 s for a start (AOF loading included).
    for (let i = 0; i < 150; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${log}`);
      if (await answersPing(port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer within 15 s: ${log}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async destroy() {
      for (const c of clients.splice(0)) c.disconnect();
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
