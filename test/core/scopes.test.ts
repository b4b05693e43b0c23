import { InvalidScopeError } from '../../src/core/errors.js';
import { formatScope, parseScopeParam, scopesOutside } from '../../src/core/scopes.js';

describe('scopes (RFC 6749 §3.3)', () => {
  test('parses space-delimited scopes, dropping repeats and extra spaces', () => {
    expect(parseScopeParam('a  b a c')).toEqual(['a', 'b', 'c']);
  });
  test('absent or blank is null', () => {
    expect(parseScopeParam(undefined)).toBeNull();
    expect(parseScopeParam('   ')).toBeNull();
  });
  test.each(['a "b', 'a\\b', 'a\tb', 'é'])('%j is invalid_scope', (v) => {
    expect(() => parseScopeParam(v)).toThrow(InvalidScopeError);
  });
  test('scopesOutside lists what is not allowed', () => {
    expect(scopesOutside(['a', 'b', 'c'], ['a', 'c'])).toEqual(['b']);
    expect(formatScope(['a', 'b'])).toBe('a b');
  });
});
