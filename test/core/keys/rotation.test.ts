import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { LOCK_FILE } from '../../../src/core/keys/rotate-lock.js';
import { MINUTE, jwksKids, openManager, signToken, tempDirs, testClock, verifyWithJwks } from './helpers.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const DAY = 24 * 60 * MINUTE;

describe('KeyManager.rotate', () => {
  it('moves next to active and active to retired, and publishes a new next key', async () => {
    const keys = await openManager(await dirs.make());
    const before = keys.list();
    const oldActive = before.find((k) => k.state === 'active')!.kid;
    const oldNext = before.find((k) => k.state === 'next')!.kid;

    const result = await keys.rotate();

    expect(result.active).toBe(oldNext);
    expect(result.retired).toBe(oldActive);
    const after = new Map(keys.list().map((k) => [k.kid, k]));
    expect(after.get(oldNext)).toMatchObject({ state: 'active', published: true });
    expect(after.get(oldNext)!.activated_at).not.toBeNull();
    expect(after.get(oldActive)).toMatchObject({ state: 'retired', published: true });
    expect(after.get(oldActive)!.retired_at).not.toBeNull();
    expect(after.get(result.next)).toMatchObject({ state: 'next', published: true });
    expect(keys.signingKey().kid).toBe(oldNext);
    expect(jwksKids(keys).sort()).toEqual([oldActive, oldNext, result.next].sort());
    keys.close();
  });

  it('keeps verifying tokens of the old key inside its publish window while new tokens carry the new kid', async () => {
    const keys = await openManager(await dirs.make());
    const oldToken = await signToken(keys);
    const etagBefore = keys.jwks().etag;
    const { active } = await keys.rotate();

    await expect(verifyWithJwks(keys, oldToken)).resolves.toBeDefined();
    const newToken = await signToken(keys);
    expect(decodeProtectedHeader(newToken).kid).toBe(active);
    await expect(verifyWithJwks(keys, newToken)).resolves.toBeDefined();
    expect(keys.jwks().etag).not.toBe(etagBefore);
    keys.close();
  });

  it('drops a retired key from the JWKS once its window has passed, with no change on disk', async () => {
    const clock = testClock();
    const keys = await openManager(await dirs.make(), { now: clock.now, publishRetiredForMs: 10 * MINUTE });
    const { retired } = await keys.rotate();
    const inWindow = keys.jwks();
    expect(jwksKids(keys)).toContain(retired);

    clock.advance(10 * MINUTE - 1);
    expect(keys.jwks()).toBe(inWindow);
    expect(keys.verificationKey(retired!)).toBeDefined();

    clock.advance(1);
    expect(jwksKids(keys)).not.toContain(retired);
    expect(keys.jwks().etag).not.toBe(inWindow.etag);
    expect(keys.verificationKey(retired!)).toBeUndefined();
    expect(keys.list().find((k) => k.kid === retired)).toMatchObject({ state: 'retired', published: false });
    keys.close();
  });

  it('prunes retired key files a day after their publish window, at the next rotation', async () => {
    const clock = testClock();
    const dir = await dirs.make();
    const keys = await openManager(dir, { now: clock.now, publishRetiredForMs: 10 * MINUTE });
    const { retired } = await keys.rotate();
    clock.advance(10 * MINUTE + DAY - 1);
    await keys.rotate();
    expect(await readdir(dir)).toContain(`${retired}.json`);
    clock.advance(2);
    await keys.rotate();
    expect(await readdir(dir)).not.toContain(`${retired}.json`);
    expect(keys.list().map((k) => k.kid)).not.toContain(retired);
    keys.close();
  });

  it('generates a fresh active key when there is no next key to promote', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const next = keys.list().find((k) => k.state === 'next')!.kid;
    keys.close();
    await rm(join(dir, `${next}.json`));
    const reopened = await openManager(dir);
    const result = await reopened.rotate();
    expect(result.active).not.toBe(next);
    expect(reopened.signingKey().kid).toBe(result.active);
    reopened.close();
  });

  it('promotes the oldest next key at start-up when the dir has no active key', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const active = keys.signingKey().kid;
    const next = keys.list().find((k) => k.state === 'next')!.kid;
    keys.close();
    await rm(join(dir, `${active}.json`));
    const reopened = await openManager(dir);
    expect(reopened.signingKey().kid).toBe(next);
    expect(reopened.list().filter((k) => k.state === 'next')).toHaveLength(1);
    reopened.close();
  });

  it('breaks a rotation lock older than 30 seconds', async () => {
    const dir = await dirs.make();
    const keys = await openManager(dir);
    const lock = join(dir, LOCK_FILE);
    await writeFile(lock, 'crashed-holder\n');
    const old = new Date(Date.now() - 31_000);
    await utimes(lock, old, old);
    const { active } = await keys.rotate();
    expect(keys.signingKey().kid).toBe(active);
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
    keys.close();
  });
});
