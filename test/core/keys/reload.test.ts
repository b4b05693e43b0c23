import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.js';
import { eventually, jwksKids, openManager, signToken, tempDirs, verifyWithJwks } from './helpers.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('KeyManager hot reload across instances', () => {
  it('sees a rotation by another instance after reload()', async () => {
    const dir = await dirs.make();
    const a = await openManager(dir);
    const b = await openManager(dir);
    const tokenFromB = await signToken(b);
    const { active, retired } = await a.rotate();

    expect(b.signingKey().kid).toBe(retired);
    await b.reload();
    expect(b.signingKey().kid).toBe(active);
    expect(jwksKids(b).sort()).toEqual(jwksKids(a).sort());
    expect(b.jwks().etag).toBe(a.jwks().etag);
    // A token b signed before the change still verifies at a.
    await expect(verifyWithJwks(a, tokenFromB)).resolves.toBeDefined();
    a.close();
    b.close();
  });

  it('picks up a rotation by another instance by polling', async () => {
    const dir = await dirs.make();
    const a = await openManager(dir);
    const b = await openManager(dir, { pollIntervalMs: 20 });
    try {
      const { active, next } = await a.rotate();
      // A poll may land between the rotation's two writes (the promotion, then the new next key): wait for both.
      await eventually(() => b.signingKey().kid === active && jwksKids(b).includes(next));
      expect(jwksKids(b)).toContain(next);
    } finally {
      // Closed even when the test fails: a polling manager left behind warns into every later suite of this worker.
      a.close();
      b.close();
    }
  });

  it('leaves exactly one active key when two instances rotate at once', async () => {
    const dir = await dirs.make();
    const a = await openManager(dir);
    const b = await openManager(dir);
    const [ra, rb] = await Promise.all([a.rotate(), b.rotate()]);
    expect(ra.active).not.toBe(rb.active);

    const fresh = await openManager(dir);
    const active = fresh.list().filter((k) => k.state === 'active');
    expect(active).toHaveLength(1);
    // The two rotations ran one after the other: each promoted a different key, one next key remains.
    expect(fresh.list().filter((k) => k.state === 'next')).toHaveLength(1);
    expect([ra.active, rb.active]).toContain(active[0]!.kid);
    await Promise.all([a.reload(), b.reload()]);
    expect(a.signingKey().kid).toBe(active[0]!.kid);
    expect(b.signingKey().kid).toBe(active[0]!.kid);
    for (const m of [a, b, fresh]) m.close();
  });

  it('keeps the previous keys and reports the error when a polled reload fails', async () => {
    const dir = await dirs.make();
    const errors: unknown[] = [];
    const keys = await openManager(dir, { pollIntervalMs: 20, onReloadError: (e) => errors.push(e) });
    const before = keys.jwks();
    await writeFile(join(dir, 'broken.json'), 'not json');

    await eventually(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect(keys.jwks()).toBe(before);
    await expect(verifyWithJwks(keys, await signToken(keys))).resolves.toBeDefined();
    // Reported once per change of the dir, not at every poll.
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toHaveLength(1);
    keys.close();
  });

  it('refuses a reload that would leave no active key, keeping the signing key', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const kid = keys.signingKey().kid;
    const path = join(dir, `${kid}.json`);
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...file, state: 'retired', retired_at: new Date().toISOString() }));
    await expect(keys.reload()).rejects.toBeInstanceOf(ConfigError);
    expect(keys.signingKey().kid).toBe(kid);
    keys.close();
  });
});
