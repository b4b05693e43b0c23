/**
 * Lua scripts as methods of a connection, sent as EVALSHA (EVAL when the
 * server answers NOSCRIPT: after a restart, a failover or SCRIPT FLUSH),
 * which is what ioredis' defineCommand sends too.
 *
 * Not defineCommand: with auto-pipelining (which a Cluster connection still
 * uses), ioredis builds a Pipeline for every batch of commands (at a modest
 * rate, every command), and a Pipeline's constructor copies each command
 * defined on the connection, and its Buffer twin, onto itself. With the
 * store's fifty or so scripts that is a hundred-odd properties per
 * Pipeline, a large dictionary-mode object that outlived young-generation
 * collections: most of what a token request left in the old generation,
 * and the cause of long scavenges. EVALSHA and EVAL are built-in commands:
 * nothing is copied. On a Cluster they are routed by their first key, as
 * defined commands are.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

type ScriptArg = string | number | Buffer;

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/**
 * Adds `name(...args)` to `client`: `args` are the keys then the other
 * arguments when `numberOfKeys` is given, else the key count first.
 */
export function installScript(client: RedisClient, name: string, numberOfKeys: number | undefined, lua: string): void {
  // The script's id as Redis computes it (SHA-1 of its text; EVALSHA, Redis docs).
  const sha = createHash('sha1').update(lua).digest('hex');
  const run = (...args: ScriptArg[]): Promise<unknown> => {
    const counted = numberOfKeys === undefined ? args : [numberOfKeys, ...args];
    return client.evalsha(sha, ...(counted as [number, ...ScriptArg[]]))
      .catch((err: unknown) => (isNoScript(err) ? client.eval(lua, ...(counted as [number, ...ScriptArg[]])) : Promise.reject(err)));
  };
  Object.defineProperty(client, name, { value: run, configurable: true, writable: true, enumerable: false });
}
