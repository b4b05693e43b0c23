import { seal, unseal } from '../../src/core/crypto/seal.js';

describe('seal', () => {
  test('only the same secret opens a sealed value', () => {
    const sealed = seal('tsr_successor', 'tsr_old');
    expect(sealed).not.toContain('successor');
    expect(unseal(sealed, 'tsr_old')).toBe('tsr_successor');
    expect(unseal(sealed, 'tsr_other')).toBeNull();
  });
  test('an altered or malformed value does not open', () => {
    const sealed = seal('x', 'k');
    const parts = sealed.split('.');
    parts[2] = Buffer.from('y').toString('base64url');
    expect(unseal(parts.join('.'), 'k')).toBeNull();
    expect(unseal('garbage', 'k')).toBeNull();
    expect(unseal('v1.a.b', 'k')).toBeNull();
  });
  test('each seal uses a fresh IV', () => {
    expect(seal('x', 'k')).not.toBe(seal('x', 'k'));
  });
});
