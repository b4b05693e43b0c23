import { InvalidRequestError } from '../../src/core/errors.js';
import { compareIds, decodeCursor, encodeCursor } from '../../src/store/cursor.js';

describe('page cursors', () => {
  it.each([['a'], ['client-07'], ['é'], ['\u{1F600}'], ['with space/and+plus']])('round-trips %j', (id) => {
    const cursor = encodeCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each([[''], ['!!!'], ['YQ=='], ['YR'], ['_w'], ['Y Q'], ['YQ\n']])('rejects %j', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidRequestError);
    expect(() => decodeCursor(cursor)).toThrow('cursor is not valid');
  });

  it('orders ids by UTF-8 bytes', () => {
    const ids = ['\u{1F600}', '\uFF5E', 'é', 'z', 'a', 'Z', 'a-1', 'a0'];
    expect([...ids].sort(compareIds)).toEqual(['Z', 'a', 'a-1', 'a0', 'z', 'é', '\uFF5E', '\u{1F600}']);
  });
});
