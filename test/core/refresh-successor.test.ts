/** The successor of a rotated refresh token, derived so that a retry within the grace window gets it again. */
import { createHash } from 'node:crypto';
import { seal } from '../../src/core/crypto/seal.js';
import { derivedSuccessor, keptSuccessor } from '../../src/core/tokens/refresh-successor.js';
import { base62OfBytes, BASE62, parseOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { newRefreshToken, refreshTokenRef } from '../../src/core/tokens/refresh-tokens.js';

describe('derivedSuccessor', () => {
  test('the successor is a well-formed refresh token of the same family, and only its second half is new', () => {
    for (let i = 0; i < 50; i++) {
      const token = newRefreshToken();
      const { successor } = derivedSuccessor(token);
      expect(parseOpaqueToken(successor)).toBe('refresh');
      expect(successor.slice(0, 20)).toBe(token.slice(0, 20));
      expect(successor.slice(20, 36)).not.toBe(token.slice(20, 36));
      expect(refreshTokenRef(successor)!.familyId).toBe(refreshTokenRef(token)!.familyId);
    }
  });

  test('what the store keeps is v3 and a 128-bit salt: nothing of either token, and a new salt at every rotation', () => {
    const token = newRefreshToken();
    const a = derivedSuccessor(token);
    const b = derivedSuccessor(token);
    expect(a.kept).toMatch(/^v3\.[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a.kept.slice(3), 'base64url')).toHaveLength(16);
    expect(a.kept).not.toBe(b.kept);
    expect(a.successor).not.toBe(b.successor);
    expect(a.kept).not.toContain(token.slice(4, 20));
  });

  test('the tail is base62 of SHA-256 over the label, the block, the salt and the old token (pinned: grace entries made before an upgrade must give the same successor after it)', () => {
    const token = newRefreshToken();
    const { successor, kept } = derivedSuccessor(token);
    const digest = createHash('sha256').update(`tessera refresh successor v3\0${0}\0${kept.slice(3)}\0${token}`, 'utf8').digest();
    const tail = [...digest].filter((b) => b < 248).slice(0, 16).map((b) => BASE62[b % 62]).join('');
    expect(successor.slice(20, 36)).toBe(tail);
  });
});

describe('keptSuccessor', () => {
  test('gives the successor back to the old token only', () => {
    const token = newRefreshToken();
    const { successor, kept } = derivedSuccessor(token);
    expect(keptSuccessor(kept, token)).toBe(successor);
    const other = keptSuccessor(kept, newRefreshToken());
    expect(other).not.toBe(successor);
    expect(other!.slice(20, 36)).not.toBe(successor.slice(20, 36));
  });

  test('a successor sealed by an earlier version (v2) still comes back to the old token, and to no other', () => {
    const token = newRefreshToken();
    const successor = newRefreshToken(token);
    const sealed = seal(successor, token);
    expect(keptSuccessor(sealed, token)).toBe(successor);
    expect(keptSuccessor(sealed, newRefreshToken())).toBeNull();
  });

  test('a malformed kept value gives nothing', () => {
    const token = newRefreshToken();
    for (const kept of ['', 'v3.', 'v3.short', `v3.${'a'.repeat(23)}`, `v3.${'a'.repeat(21)}!`, 'v4.aaaaaaaaaaaaaaaaaaaaaa', 'garbage']) {
      expect(keptSuccessor(kept, token)).toBeNull();
    }
  });
});

describe('base62OfBytes', () => {
  test('maps bytes below 248 to base62, skips the others, and gives null when too few are usable', () => {
    expect(base62OfBytes(Uint8Array.from([0, 61, 62, 247, 248, 255, 10]), 5)).toBe('0z0zA');
    expect(base62OfBytes(Uint8Array.from([250, 251, 1]), 2)).toBeNull();
    expect(base62OfBytes(Uint8Array.from([1, 2, 3]), 2)).toBe('12');
  });
});
