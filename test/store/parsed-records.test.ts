/** Parsed client records kept beside the cache's JSON: each read gets its own copy, a changed record is parsed afresh. */
import { copyJson, ParsedRecords } from '../../src/store/redis/parsed-records.js';

interface Rec { id: string; scopes: string[]; jwks: { keys: Array<{ kid: string }> } | null; n: number; flag: boolean; none: null }

const json = (over: Partial<Rec> = {}) => JSON.stringify({ id: 'a', scopes: ['x', 'y'], jwks: { keys: [{ kid: 'k1' }] }, n: 1, flag: true, none: null, ...over });

test('copyJson copies every level: changing the copy leaves the original as it was', () => {
  const original = JSON.parse(json()) as Rec;
  const copy = copyJson(original);
  expect(copy).toEqual(original);
  copy.scopes.push('z');
  copy.jwks!.keys[0]!.kid = 'changed';
  copy.n = 2;
  expect(original).toEqual(JSON.parse(json()));
});

test('copyJson keeps a "__proto__" key as a plain key, never as the prototype', () => {
  const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": [1]}') as Record<string, unknown>;
  const copy = copyJson(parsed);
  expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true);
  expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
});

test('each read of the same JSON gets its own copy: a caller changing its record changes no other read', () => {
  const records = new ParsedRecords<Rec>(10);
  const text = json();
  const first = records.parse('a', text);
  first.scopes.length = 0;
  first.jwks = null;
  expect(records.parse('a', text)).toEqual(JSON.parse(text));
  // Equal text in another string reads the same.
  expect(records.parse('a', json())).toEqual(JSON.parse(text));
});

test('a changed record is read as changed', () => {
  const records = new ParsedRecords<Rec>(10);
  records.parse('a', json());
  expect(records.parse('a', json({ scopes: ['only'] })).scopes).toEqual(['only']);
  expect(records.parse('a', json()).scopes).toEqual(['x', 'y']);
});

test('gone (read as null) or pushed out by newer ids, a record is parsed again from the JSON given', () => {
  const records = new ParsedRecords<Rec>(2);
  records.parse('a', json());
  records.parse('b', json({ id: 'b' }));
  records.parse('c', json({ id: 'c' }));
  expect(records.parse('a', json({ n: 5 })).n).toBe(5);
  expect(records.read('a', null)).toBeNull();
  expect(records.parse('a', json({ n: 6 })).n).toBe(6);
});
