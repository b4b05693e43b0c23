/**
 * A tiny stand-in for a Redis server, for the failures a real shared Redis
 * cannot safely be made to show: a server that goes silent mid-connection
 * (blackholed network, stuck process) or that is too old. It speaks just
 * enough RESP for ioredis' handshake (CLIENT SETNAME, INFO) and PING.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeRedis {
  url: string;
  /** When true, requests are read but never answered. */
  silent: boolean;
  close(): Promise<void>;
}

/** Parses complete RESP arrays of bulk strings from `buffer`; returns them and the unparsed rest. */
function parseCommands(buffer: Buffer): { commands: string[][]; rest: Buffer } {
  const commands: string[][] = [];
  let offset = 0;
  for (;;) {
    const start = offset;
    const header = readLine(buffer, offset);
    if (!header || !header.line.startsWith('*')) return { commands, rest: buffer.subarray(start) };
    offset = header.next;
    const args: string[] = [];
    const count = Number(header.line.slice(1));
    for (let i = 0; i < count; i++) {
      const len = readLine(buffer, offset);
      if (!len) return { commands, rest: buffer.subarray(start) };
      const size = Number(len.line.slice(1));
      if (buffer.length < len.next + size + 2) return { commands, rest: buffer.subarray(start) };
      args.push(buffer.toString('utf8', len.next, len.next + size));
      offset = len.next + size + 2;
    }
    commands.push(args);
  }
}

function readLine(buffer: Buffer, offset: number): { line: string; next: number } | null {
  const end = buffer.indexOf('\r\n', offset);
  return end === -1 ? null : { line: buffer.toString('utf8', offset, end), next: end + 2 };
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

export async function startFakeRedis(options: { version?: string; silent?: boolean } = {}): Promise<FakeRedis> {
  const sockets = new Set<Socket>();
  const state = { silent: options.silent ?? false };
  const info = `# Server\r\nredis_version:${options.version ?? '7.2.0'}\r\nloading:0\r\n`;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const parsed = parseCommands(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      if (state.silent) return;
      for (const [name = ''] of parsed.commands) {
        const command = name.toUpperCase();
        socket.write(command === 'INFO' ? bulk(info) : command === 'PING' ? '+PONG\r\n' : '+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    get silent() {
      return state.silent;
    },
    set silent(value: boolean) {
      state.silent = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens (bound once by us, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
