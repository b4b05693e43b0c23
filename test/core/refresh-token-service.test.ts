/** What a rotation hands the store: for the grace window, a salt from which only the old token derives the successor; nothing when there is none. */
import { MemoryStore } from '../../src/store/memory-store.js';
import { createHash } from 'node:crypto';
import { newRefreshToken, RefreshTokenService, refreshTokenRef } from '../../src/core/tokens/refresh-tokens.js';
import { keptSuccessor } from '../../src/core/tokens/refresh-successor.js';

async function rotationSent(graceMs: number) {
  const store = new MemoryStore();
  const service = new RefreshTokenService(store, 3600, graceMs);
  const { token } = await service.startFamily({ clientId: 'app', userId: 'u1', scopes: ['a'], authTime: Math.floor(Date.now() / 1000) });
  const sent: string[] = [];
  const rotate = store.refreshTokens.rotate.bind(store.refreshTokens);
  store.refreshTokens.rotate = (args) => {
    sent.push(args.successorSealed);
    return rotate(args);
  };
  const rotation = await service.rotate(token, 'app', ['a']);
  if (rotation.outcome !== 'rotated') throw new Error(`rotation: ${rotation.outcome}`);
  return { token, successor: rotation.token, sealed: sent[0]!, service };
}

test('with a grace window, the store keeps a salt from which only the old token derives the successor, and a retry gets it back', async () => {
  const { token, successor, sealed, service } = await rotationSent(10_000);
  expect(sealed).toMatch(/^v3\.[A-Za-z0-9_-]{22}$/);
  expect(sealed).not.toContain(successor.slice(20, 36));
  expect(keptSuccessor(sealed, token)).toBe(successor);
  // Another token of the same family derives another token from it, not the successor.
  expect(keptSuccessor(sealed, successor)).not.toBe(successor);
  const retry = await service.rotate(token, 'app', ['a']);
  expect(retry).toMatchObject({ outcome: 'grace', token: successor });
});

test('without a grace window, nothing is kept, and presenting the old token again is reuse', async () => {
  const { token, sealed, service } = await rotationSent(0);
  expect(sealed).toBe('');
  expect((await service.rotate(token, 'app', ['a'])).outcome).toBe('reuse');
});

test("a token's family id and kept hash are the SHA-256 derivations families were written with, so existing families stay readable", () => {
  for (let i = 0; i < 50; i++) {
    const token = newRefreshToken();
    const head = token.slice(4, 20);
    const h = createHash('sha256').update(`tessera refresh family\0${head}`, 'utf8').digest();
    h[6] = (h[6]! & 0x0f) | 0x40;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    expect(refreshTokenRef(token)).toEqual({
      familyId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
      tokenHash: createHash('sha256').update(token, 'utf8').digest().subarray(0, 16).toString('base64url'),
    });
    // The next token of the family names the same family.
    expect(refreshTokenRef(newRefreshToken(token))!.familyId).toBe(refreshTokenRef(token)!.familyId);
  }
});
