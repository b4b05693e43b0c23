/** Slow hashes of chosen secrets: the stored form, what a check costs, and the bound on how many run at once. */
import { hashGeneratedSecret } from '../../src/core/crypto/secret-hash.js';
import { DEFAULT_PASSWORD_HASH_COST, MIN_PASSWORD_HASH_COST, PasswordHasher } from '../../src/core/crypto/password-hasher.js';
import { HashQueue } from '../../src/core/crypto/hash-queue.js';
import { BusyError } from '../../src/core/errors.js';

const hasher = (cost = MIN_PASSWORD_HASH_COST, concurrency = 2) => new PasswordHasher({ cost, concurrency });

describe('hashing and checking', () => {
  test('a chosen secret is stored as scrypt with its parameters and a random salt, and verifies', async () => {
    const h = hasher();
    const a = await h.hash('correct horse battery');
    const b = await h.hash('correct horse battery');
    expect(a).toMatch(/^scrypt:1024:8:1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    await expect(h.verify('correct horse battery', a)).resolves.toEqual({ ok: true, rehash: false });
    await expect(h.verify('correct horse batterY', a)).resolves.toEqual({ ok: false, rehash: false });
  });

  test('a failure costs exactly one hash at the current cost, whatever was stored', async () => {
    const h = hasher(11);
    const older = await hasher(10).hash('pw-older');
    const stored: Array<[string, string | null]> = [
      ['nothing', null], ['a generated secret', hashGeneratedSecret('x'.repeat(43))], ['a current scrypt', await h.hash('pw')],
      ['an older scrypt', older], ['an unknown form', 'md5:abc'], ['a truncated scrypt', 'scrypt:1:2'],
      ['a scrypt beyond the largest cost', 'scrypt:2097152:8:1:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ];
    for (const [what, hash] of stored) {
      const before = { ...h.counts };
      await expect(h.verify('wrong', hash)).resolves.toEqual({ ok: false, rehash: false });
      expect([what, h.counts.atCurrentCost - before.atCurrentCost]).toEqual([what, 1]);
      // The older scrypt is also computed at its own cost, to compare with; nothing else is.
      expect([what, h.counts.hashes - before.hashes]).toEqual([what, what === 'an older scrypt' ? 2 : 1]);
    }
  });

  test('a right secret stored at an older cost verifies and asks for a rehash; a right generated secret costs no hash', async () => {
    const h = hasher(11);
    await expect(h.verify('pw-older', await hasher(10).hash('pw-older'))).resolves.toEqual({ ok: true, rehash: true });
    const before = h.counts.hashes;
    await expect(h.verify('y'.repeat(43), hashGeneratedSecret('y'.repeat(43)))).resolves.toEqual({ ok: true, rehash: false });
    expect(h.counts.hashes).toBe(before);
  });

  test('the cost must be one the server accepts', () => {
    expect(() => hasher(9)).toThrow(RangeError);
    expect(() => hasher(21)).toThrow(RangeError);
    expect(hasher(12).parameters).toBe('scrypt:4096:8:1');
  });
});

describe('how many hashes run at once', () => {
  test('no more than the concurrency run together; the rest wait their turn and all finish', async () => {
    const h = hasher(MIN_PASSWORD_HASH_COST, 2);
    let most = 0;
    const sample = setInterval(() => { most = Math.max(most, h.queueDepth.running); }, 1);
    let verdicts: Array<{ ok: boolean }>;
    try {
      const stored = await h.hash('pw');
      verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => h.verify(i % 2 ? 'pw' : 'wrong', stored)));
    } finally {
      clearInterval(sample);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(verdicts.filter((v) => v.ok)).toHaveLength(6);
    expect(h.queueDepth).toEqual({ running: 0, waiting: 0 });
  });

  test('past the waiting bound a request is refused at once with BusyError, and the queue keeps working', async () => {
    const q = new HashQueue(1, 2);
    const gates: Array<() => void> = [];
    const task = () => new Promise<void>((resolve) => gates.push(resolve));
    const running = q.run(task);
    const waiting = [q.run(task), q.run(task)];
    await expect(q.run(task)).rejects.toBeInstanceOf(BusyError);
    expect(q.depth).toEqual({ running: 1, waiting: 2 });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gates.shift()!();
    }
    await Promise.all([running, ...waiting]);
    expect(q.depth).toEqual({ running: 0, waiting: 0 });
    await expect(q.run(async () => 'again')).resolves.toBe('again');
  });

  test('a task that fails frees its slot', async () => {
    const q = new HashQueue(1, 1);
    await expect(q.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(q.run(async () => 'next')).resolves.toBe('next');
  });
});

test('the default cost is OWASP\'s scrypt guidance, N=2^17, r=8, p=1 (128 MiB, above Node\'s default maxmem), and it hashes and verifies', async () => {
  const h = new PasswordHasher({ cost: DEFAULT_PASSWORD_HASH_COST, concurrency: 2 });
  expect(h.parameters).toBe('scrypt:131072:8:1');
  const [a, b] = await Promise.all([h.hash('a password'), h.hash('another password')]);
  expect(a).toMatch(/^scrypt:131072:8:1:/);
  await expect(h.verify('a password', a)).resolves.toEqual({ ok: true, rehash: false });
  await expect(h.verify('a password', b)).resolves.toEqual({ ok: false, rehash: false });
});
