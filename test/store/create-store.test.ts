import { createStore } from '../../src/store/create-store.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';

describe('createStore', () => {
  it('uses the in-memory store when no Redis URL is given', async () => {
    const store = await createStore({ prefix: 'tessera:' });
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('treats an empty Redis URL as none', async () => {
    const store = await createStore({ redisUrl: '', prefix: 'tessera:' });
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('uses Redis when a URL is given, and waits until it answers', async () => {
    const store = await createStore({ redisUrl: testRedisUrl(), prefix: testRedisPrefix('create-store') });
    expect(store.kind).toBe('redis');
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });
});
