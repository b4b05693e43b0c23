/** Which presented tokens the access-token inspector and revoker take as JWTs: exactly three dot-separated parts. */
import { hasThreeParts } from '../../src/core/tokens/access-token-validator.js';

test.each([
  ['a.b.c', true], ['..', true], ['header.payload.', true], ['eyJ.eyJ.sig', true],
  ['', false], ['abc', false], ['a.b', false], ['.', false], ['a.b.c.d', false], ['...', false], ['a..b.c', false],
])('%j has three parts: %s (as split(".") counts them)', (token, expected) => {
  expect(hasThreeParts(token)).toBe(expected);
  expect(token.split('.').length === 3).toBe(expected);
});
