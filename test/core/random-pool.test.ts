import { pooledRandomBytes, randomByte } from '../../src/core/crypto/random-pool.js';

describe('pooled randomness', () => {
  test('buffers of the asked length, each its own copy, never repeating across refills of the pool', () => {
    const seen = new Set<string>();
    const first = pooledRandomBytes(12);
    const copy = Buffer.from(first);
    // 12 bytes at a time through about 30 refills of the 4 KiB pool, with lengths that do not divide it.
    for (let i = 0; i < 10_000; i++) {
      const b = pooledRandomBytes(i % 2 ? 12 : 7);
      expect(b.length).toBe(i % 2 ? 12 : 7);
      if (b.length === 12) seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(5_000);
    // Later draws never write into a buffer already handed out.
    expect(first).toEqual(copy);
  });

  test('bytes are spread over 0-255 (each value about equally often)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256 * 400; i++) counts[randomByte()]!++;
    // 400 expected each, standard deviation 20: 25% off is five of them.
    for (const c of counts) expect(Math.abs(c - 400)).toBeLessThan(100);
  });
});
