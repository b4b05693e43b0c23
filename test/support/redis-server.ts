/**
 * redis-server processes of a test's own (outage and shutdown tests stop
 * them, restart them and list their clients, which they cannot do to the
 * run's shared Redis; cluster and sentinel suites build topologies from
 * them): free loopback ports, data in a temp dir that destroy() removes.
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

/** `count` distinct free ports (asked for together, so the OS does not hand the same one out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
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

/** One redis-server (or sentinel) process on a fixed port that can be stopped and started again. */
export interface RedisProcess {
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing written on the way out. */
  kill(): Promise<void>;
  /** What it printed, for failure messages. */
  log(): string;
}

/** Runs `redis-server <args>` (the port is the caller's to put in args) and waits until it answers PING. */
export function redisProcess(port: number, args: () => string[]): RedisProcess {
  let child: ChildProcess | null = null;
  let output = '';
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    port,
    get running() { return child !== null && child.exitCode === null; },
    async start() {
      const proc = spawn('redis-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d) => (output += d));
      proc.stderr!.on('data', (d) => (output += d));
      child = proc;
      // Slow shared machines: up to 15 s for a start (AOF loading included).
      for (let i = 0; i < 150; i++) {
        if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}: ${output}`);
        if (await answersPing(port)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      proc.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer within 15 s: ${output}`);
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    log: () => output,
  };
}

/** A temp dir for a topology's data and config files. */
export function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `tessera-${label}-`));
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await tempDir('redis');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const clients: Redis[] = [];
  const server = redisProcess(port, () => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
  ]);
  await server.start();
  return {
    url,
    port,
    start: () => server.start(),
    stop: () => server.stop(),
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async destroy() {
      for (const c of clients.splice(0)) c.disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
