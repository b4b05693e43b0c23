/** The audit log: behaviour every Store must have (memory and a real Redis). */
import type { AuditQuery, AuditRecord, Store } from '../../src/store/store.js';

const entry = (type: string, overrides: Partial<AuditRecord> = {}): Omit<AuditRecord, 'id'> => ({
  time: new Date().toISOString(), type, actor: { type: 'client', id: 'admin' }, subject: null, token_id: null, client_id: null,
  ip: '192.0.2.1', user_agent: 'test', request_id: 'r1', route: 'POST /x', detail: { n: 1, list: [] }, ...overrides,
});
const DAY = 86_400_000;
const q = (over: Partial<AuditQuery> = {}): AuditQuery => ({ filter: {}, order: 'asc', limit: 50, scanLimit: 1000, ...over });

/** Follows cursors to the end; returns every item. */
async function all(store: Store, base: Partial<AuditQuery>): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await store.audit.query(q({ ...base, after }));
    out.push(...page.items);
    if (page.next_cursor === null) return out;
    after = page.next_cursor;
  }
  throw new Error('cursor never ended');
}

export function describeAuditContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Audit log contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('append returns increasing ids; entries come back whole, in both orders', async () => {
      const now = Date.now();
      const a = await store.audit.append(entry('a'), now, DAY);
      const b = await store.audit.append(entry('b', { token_id: 'tok_1' }), now, DAY);
      expect(a).toMatch(/^\d+-\d+$/);
      const asc = await store.audit.query(q());
      expect(asc.items.map((r) => r.id)).toEqual([a, b]);
      expect(asc.items[1]).toEqual({ id: b, ...entry('b', { token_id: 'tok_1', time: asc.items[1]!.time }) });
      expect((await store.audit.query(q({ order: 'desc' }))).items.map((r) => r.type)).toEqual(['b', 'a']);
    });

    test('appends made together (in one tick) each get their own increasing id and come back in the order made', async () => {
      const now = Date.now();
      const types = Array.from({ length: 12 }, (_, i) => `t${i}`);
      const ids = await Promise.all(types.map((t, i) => store.audit.append(entry(t, { subject: `usr_${i}` }), now, DAY)));
      expect(new Set(ids).size).toBe(types.length);
      const listed = (await all(store, {})).map((r) => [r.id, r.type, r.subject]);
      expect(listed).toEqual(types.map((t, i) => [ids[i], t, `usr_${i}`]));
      // A later append still comes after every one of them.
      const later = await store.audit.append(entry('later'), Date.now(), DAY);
      expect((await store.audit.query(q({ order: 'desc', limit: 1 }))).items.map((r) => r.id)).toEqual([later]);
    });

    test('appendLater stores entries like append, in the order made with appends, and calls back with null once each is stored', async () => {
      const now = Date.now();
      const settled: unknown[] = [];
      const stored = (name: string) => new Promise<void>((resolve) => {
        store.audit.appendLater(entry(name, { subject: `usr_${name}` }), now, DAY, (err) => { settled.push([name, err]); resolve(); });
      });
      const first = stored('later-1');
      const middle = store.audit.append(entry('append'), now, DAY);
      const last = stored('later-2');
      await Promise.all([first, middle, last]);
      expect(settled).toEqual([['later-1', null], ['later-2', null]]);
      const listed = await all(store, {});
      expect(listed.map((r) => r.type)).toEqual(['later-1', 'append', 'later-2']);
      expect(listed[0]).toEqual({ id: listed[0]!.id, ...entry('later-1', { subject: 'usr_later-1', time: listed[0]!.time }) });
      expect(listed[1]!.id).toBe(await middle);
    });

    test('filters by actor, subject, token id and type, and pages with a cursor in either order', async () => {
      const now = Date.now();
      for (let i = 0; i < 7; i++) await store.audit.append(entry(i % 2 ? 'odd' : 'even', { token_id: `tok_${i % 3}`, subject: `usr_${i}` }), now, DAY);
      await store.audit.append(entry('other', { actor: { type: 'user', id: 'usr_x' } }), now, DAY);
      expect((await all(store, { filter: { type: 'odd' }, limit: 2 })).map((r) => r.subject)).toEqual(['usr_1', 'usr_3', 'usr_5']);
      expect((await all(store, { filter: { token_id: 'tok_0' }, limit: 1, order: 'desc' })).map((r) => r.subject)).toEqual(['usr_6', 'usr_3', 'usr_0']);
      expect((await all(store, { filter: { actor: 'usr_x' } })).map((r) => r.type)).toEqual(['other']);
      expect((await all(store, { filter: { subject: 'usr_4' } })).map((r) => r.type)).toEqual(['even']);
    });

    test('a filter that skips more than the scan limit answers a short page with a cursor to resume', async () => {
      const now = Date.now();
      for (let i = 0; i < 5; i++) await store.audit.append(entry('noise'), now, DAY);
      await store.audit.append(entry('needle'), now, DAY);
      const first = await store.audit.query(q({ filter: { type: 'needle' }, scanLimit: 3 }));
      expect(first.items).toEqual([]);
      expect(first.next_cursor).not.toBeNull();
      expect((await all(store, { filter: { type: 'needle' }, scanLimit: 3 })).map((r) => r.type)).toEqual(['needle']);
    });

    test('since is inclusive and until exclusive, on the entry times', async () => {
      const t0 = Date.now();
      await store.audit.append(entry('first'), t0, DAY);
      await new Promise((r) => setTimeout(r, 15));
      const t1 = Date.now();
      await store.audit.append(entry('second'), t1, DAY);
      const firstMs = Number((await store.audit.query(q())).items[0]!.id.split('-')[0]);
      expect((await all(store, { filter: { until: firstMs + 1 } })).map((r) => r.type)).toEqual(['first']);
      expect((await all(store, { filter: { since: firstMs + 1 } })).map((r) => r.type)).toEqual(['second']);
      expect((await all(store, { filter: { since: firstMs, until: firstMs + 1 } })).map((r) => r.type)).toEqual(['first']);
    });

    test('entries older than the retention are trimmed by later appends', async () => {
      // Redis trims approximately (MINID ~) by whole macro nodes: only an exact trim is asserted on memory.
      const now = Date.now();
      await store.audit.append(entry('old'), now, DAY);
      await new Promise((r) => setTimeout(r, 20));
      await store.audit.append(entry('new'), Date.now(), 10);
      const left = (await all(store, {})).map((r) => r.type);
      expect(left).toContain('new');
      if (store.kind === 'memory') expect(left).toEqual(['new']);
    });
  });
}
