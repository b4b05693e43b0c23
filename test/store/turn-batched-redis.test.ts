import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { openRedisConnection, redisOptions } from '../../src/store/redis/connection.js';
import { TurnBatchedRedis } from '../../src/store/redis/turn-batched-redis.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { deleteKeysUnder } from './redis-keys.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatchedRedis: the commands of one event-loop turn leave in one socket write', () => {
  const prefix = testRedisPrefix('turn-batched');
  let redis: TurnBatchedRedis;

  beforeEach(async () => {
    redis = new TurnBatchedRedis(testRedisUrl(), { ...redisOptions('tessera-test-turn-batched'), lazyConnect: true });
    await redis.connect();
  });
  afterEach(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  test('three commands issued in one turn are written with one writev, and each gets its own reply in order', async () => {
    const socket = redis.stream;
    const writev = jest.spyOn(socket, '_writev');
    const write = jest.spyOn(socket, '_write');
    const replies = Promise.all([
      redis.set(`${prefix}a`, '1'),
      redis.incrby(`${prefix}a`, 41),
      redis.get(`${prefix}a`),
    ]);
    // Nothing leaves while the turn runs: the socket is corked.
    expect(socket.writableCorked).toBe(1);
    expect(writev).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    expect(await replies).toEqual(['OK', 42, '42']);
    expect(writev).toHaveBeenCalledTimes(1);
    expect(writev.mock.calls[0]![0]).toHaveLength(3);
    expect(write).not.toHaveBeenCalled();
    expect(socket.writableCorked).toBe(0);
  });

  test('a command of a later turn corks the socket again, for that turn only', async () => {
    const socket = redis.stream;
    expect(await redis.set(`${prefix}b`, 'x')).toBe('OK');
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    const reply = redis.get(`${prefix}b`);
    expect(socket.writableCorked).toBe(1);
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    expect(await reply).toBe('x');
  });

  test('an error reply fails only its own command of the batch', async () => {
    await redis.set(`${prefix}text`, 'not a number');
    const [before, failed, after] = await Promise.allSettled([
      redis.set(`${prefix}c`, '7'),
      redis.incr(`${prefix}text`),
      redis.get(`${prefix}c`),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'ERR value is not an integer or out of range' } });
    expect(after).toEqual({ status: 'fulfilled', value: '7' });
  });

  test('while disconnected a command is refused at once and corks nothing; after reconnecting, commands flow again', async () => {
    const old = redis.stream;
    const ended = new Promise((resolve) => redis.once('end', resolve));
    redis.disconnect();
    await expect(redis.get(`${prefix}d`)).rejects.toThrow("Stream isn't writeable and enableOfflineQueue options is false");
    expect(old.writableCorked).toBe(0);
    await ended;
    await redis.connect();
    const socket = redis.stream;
    expect(socket).not.toBe(old);
    expect(socket.writableCorked).toBe(0);
    const reply = redis.set(`${prefix}d`, 'back');
    expect(socket.writableCorked).toBe(1);
    expect(await reply).toBe('OK');
    expect(await redis.get(`${prefix}d`)).toBe('back');
  });

  test('the store opens a single-server connection as a TurnBatchedRedis, without ioredis auto-pipelining', async () => {
    const client = openRedisConnection({ url: testRedisUrl(), connectionName: 'tessera-test-turn-batched-open' });
    try {
      expect(client).toBeInstanceOf(TurnBatchedRedis);
      expect(client).toBeInstanceOf(Redis);
      expect(client.options.enableAutoPipelining).toBe(false);
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
