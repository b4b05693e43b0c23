/** The activity counter: counts only the events an overview shows, by the hour, and loses none to a failing store. */
import { pino } from 'pino';
import { ActivityCounter } from '../../src/core/activity/activity-counter.js';
import { HOUR_MS, type EventCounters } from '../../src/store/counter-records.js';
import { MemoryStore } from '../../src/store/memory-store.js';

const silent = pino({ level: 'silent' });

test('counts counted events per hour and type, ignores the rest, and writes them on flush', async () => {
  let now = 10 * HOUR_MS + 5;
  const store = new MemoryStore({ now: () => now });
  const counter = new ActivityCounter(store.counters, silent, () => now, 60_000);
  counter.record({ type: 'token.issued' });
  counter.record({ type: 'token.issued' });
  counter.record({ type: 'api_token.used' });
  now += HOUR_MS;
  counter.record({ type: 'login.failed' });
  expect(await store.counters.hours(10 * HOUR_MS, 11 * HOUR_MS)).toEqual([{ hour: 10 * HOUR_MS, counts: {} }, { hour: 11 * HOUR_MS, counts: {} }]);
  await counter.flush();
  expect(await store.counters.hours(10 * HOUR_MS, 11 * HOUR_MS)).toEqual([
    { hour: 10 * HOUR_MS, counts: { 'token.issued': 2 } },
    { hour: 11 * HOUR_MS, counts: { 'login.failed': 1 } },
  ]);
  await counter.flush();
  expect((await store.counters.hours(10 * HOUR_MS, 10 * HOUR_MS))[0]!.counts).toEqual({ 'token.issued': 2 });
  await counter.close();
  await store.close();
});

test('a failed write keeps its counts for the next flush', async () => {
  const written: Array<Record<string, number>> = [];
  let fail = true;
  const counters: EventCounters = {
    async add(_hour, counts) {
      if (fail) throw new Error('store down');
      written.push({ ...counts });
    },
    async hours() { return []; },
  };
  const counter = new ActivityCounter(counters, silent, () => 5 * HOUR_MS, 60_000);
  counter.record({ type: 'token.issued' });
  await counter.flush();
  counter.record({ type: 'token.issued' });
  fail = false;
  await counter.flush();
  expect(written).toEqual([{ 'token.issued': 2 }]);
  await counter.close();
});

test('flushes on its own interval, and once more on close', async () => {
  const store = new MemoryStore({ now: () => 3 * HOUR_MS });
  const counter = new ActivityCounter(store.counters, silent, () => 3 * HOUR_MS, 20);
  counter.record({ type: 'rate_limit.hit' });
  await new Promise((r) => setTimeout(r, 80));
  expect((await store.counters.hours(3 * HOUR_MS, 3 * HOUR_MS))[0]!.counts).toEqual({ 'rate_limit.hit': 1 });
  counter.record({ type: 'rate_limit.hit' });
  await counter.close();
  expect((await store.counters.hours(3 * HOUR_MS, 3 * HOUR_MS))[0]!.counts).toEqual({ 'rate_limit.hit': 2 });
  await store.close();
});
