import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { installScript } from '../../src/store/redis/scripts.js';
import { redisOptions } from '../../src/store/redis/connection.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { deleteKeysUnder } from './redis-keys.js';

type Run = (...args: unknown[]) => Promise<unknown>;
type Scripted = Redis & { testIncrBy: Run; testKeys: Run; testFail: Run; testPlain: Run };

describe('Redis scripts (EVALSHA, EVAL on NOSCRIPT)', () => {
  const prefix = testRedisPrefix('scripts');
  let redis: Scripted;

  beforeAll(async () => {
    redis = new Redis(testRedisUrl(), { ...redisOptions('tessera-test-scripts'), lazyConnect: true }) as Scripted;
    await redis.connect();
  });
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  test('a script the server has never seen runs through EVAL, and is then found by its SHA-1', async () => {
    // A text no server has cached yet: the first EVALSHA gets NOSCRIPT.
    const lua = `-- ${randomBytes(8).toString('hex')}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const sha = createHash('sha1').update(lua).digest('hex');
    installScript(redis, 'testIncrBy', 1, lua);
    expect(await redis.script('EXISTS', sha)).toEqual([0]);
    expect(await redis.testIncrBy(`${prefix}n`, '2')).toBe(2);
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
    expect(await redis.testIncrBy(`${prefix}n`, '3')).toBe(5);
  });

  test('without a key count, the caller gives it first', async () => {
    installScript(redis, 'testKeys', undefined, `-- ${randomBytes(8).toString('hex')}\nreturn {#KEYS, #ARGV}`);
    expect(await redis.testKeys(2, `${prefix}a`, `${prefix}b`, 'x')).toEqual([2, 1]);
    expect(await redis.testKeys(0, 'x', 'y')).toEqual([0, 2]);
  });

  test("a script's own error reaches the caller, not a second run", async () => {
    installScript(redis, 'testFail', 1, `-- ${randomBytes(8).toString('hex')}\nredis.call('INCR', KEYS[1])\nreturn redis.error_reply('refused here')`);
    await expect(redis.testFail(`${prefix}runs`)).rejects.toThrow('refused here');
    await expect(redis.testFail(`${prefix}runs`)).rejects.toThrow('refused here');
    expect(await redis.get(`${prefix}runs`)).toBe('2');
  });

  test('a pipeline of the connection does not carry the scripts', async () => {
    installScript(redis, 'testPlain', 0, 'return 1');
    expect(Object.keys(redis.pipeline())).not.toContain('testPlain');
    expect(await redis.testPlain()).toBe(1);
  });
});
