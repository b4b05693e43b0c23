import { hash, hkdfSync } from 'node:crypto';
import { seal, sealWithKey, unseal, unsealWithKey } from '../../src/core/crypto/seal.js';

describe('seal', () => {
  test('only the same secret opens a sealed value', () => {
    const sealed = seal('tsr_successor', 'tsr_old');
    expect(sealed).not.toContain('successor');
    expect(unseal(sealed, 'tsr_old')).toBe('tsr_successor');
    expect(unseal(sealed, 'tsr_other')).toBeNull();
  });
  test('an altered or malformed value does not open', () => {
    const sealed = seal('x', 'k');
    expect(unseal(sealed, 'k')).toBe('x');
    // Flip one bit of the IV, the ciphertext and the tag in turn: each must
    // fail GCM's authentication. (Overwriting a part with a fixed value would
    // leave it unaltered whenever it already held that value.)
    for (const index of [1, 2, 3]) {
      const parts = sealed.split('.');
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      parts[index] = bytes.toString('base64url');
      expect(parts.join('.')).not.toBe(sealed);
      expect(unseal(parts.join('.'), 'k')).toBeNull();
    }
    expect(unseal('garbage', 'k')).toBeNull();
    expect(unseal('v1.a.b', 'k')).toBeNull();
  });
  test('each seal uses a fresh IV', () => {
    expect(seal('x', 'k')).not.toBe(seal('x', 'k'));
  });
  test('a seal made with the HKDF key of earlier versions (v1) still opens, with the same secret only', () => {
    const v1Key = Buffer.from(hkdfSync('sha256', Buffer.from('tsr_old', 'utf8'), Buffer.alloc(0), Buffer.from('tessera refresh successor v1'), 32));
    const sealed = sealWithKey('tsr_successor', v1Key, 'v1');
    expect(unseal(sealed, 'tsr_old')).toBe('tsr_successor');
    expect(unseal(sealed, 'tsr_other')).toBeNull();
  });
  test('a seal is v2 under SHA-256 of the label and the secret (pinned: seals made before an upgrade must open after it)', () => {
    const sealed = seal('tsr_successor', 'tsr_old');
    expect(sealed.startsWith('v2.')).toBe(true);
    expect(unsealWithKey(sealed, hash('sha256', 'tessera refresh successor v2\0tsr_old', 'buffer'), 'v2')).toBe('tsr_successor');
    // A v2 seal relabelled v1 is not opened with the v1 key.
    expect(unseal(`v1${sealed.slice(2)}`, 'tsr_old')).toBeNull();
  });
});
