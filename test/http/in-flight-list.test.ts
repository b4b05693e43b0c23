import { InFlightList } from '../../src/http/in-flight-list.js';

describe('InFlightList', () => {
  test('holds what was added, newest first, and counts it', () => {
    const list = new InFlightList<string>();
    expect(list.size).toBe(0);
    expect([...list]).toEqual([]);
    list.add('a');
    list.add('b');
    list.add('c');
    expect(list.size).toBe(3);
    expect([...list]).toEqual(['c', 'b', 'a']);
  });

  test('removes the newest, a middle and the oldest member, each by its own entry', () => {
    const list = new InFlightList<string>();
    const a = list.add('a');
    const b = list.add('b');
    const c = list.add('c');
    const d = list.add('d');
    list.remove(d);
    expect([...list]).toEqual(['c', 'b', 'a']);
    list.remove(b);
    expect([...list]).toEqual(['c', 'a']);
    list.remove(a);
    expect([...list]).toEqual(['c']);
    expect(list.size).toBe(1);
    list.remove(c);
    expect([...list]).toEqual([]);
    expect(list.size).toBe(0);
    list.add('e');
    expect([...list]).toEqual(['e']);
  });

  test('a second removal of the same entry changes nothing', () => {
    const list = new InFlightList<string>();
    const a = list.add('a');
    list.add('b');
    list.remove(a);
    list.remove(a);
    expect(list.size).toBe(1);
    expect([...list]).toEqual(['b']);
  });

  test('a removed entry no longer points at its member or its neighbours', () => {
    const list = new InFlightList<object>();
    const first = list.add({});
    const member = {};
    const middle = list.add(member);
    list.add({});
    list.remove(middle);
    expect(middle).toEqual({ value: null, prev: null, next: null });
    expect([...list]).not.toContain(member);
    expect(list.size).toBe(2);
    list.remove(first);
    expect(list.size).toBe(1);
  });

  test('the same value added twice is two members, removed one at a time', () => {
    const list = new InFlightList<string>();
    const one = list.add('x');
    list.add('x');
    expect([...list]).toEqual(['x', 'x']);
    list.remove(one);
    expect([...list]).toEqual(['x']);
  });
});
