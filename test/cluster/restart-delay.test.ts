import { restartDelay } from '../../src/cluster/primary.js';

test('a dead worker is replaced after 250 ms, doubling with each other death within the minute, at most 30 s', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 8].map(restartDelay)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000]);
  expect(restartDelay(50)).toBe(30000);
  // Never less than the first delay, whatever it is told.
  expect(restartDelay(0)).toBe(250);
});
