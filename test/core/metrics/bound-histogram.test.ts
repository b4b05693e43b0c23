/** The bound-child histogram exports exactly what prom-client's Histogram does for the same observations. */
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { BoundHistogram } from '../../../src/core/metrics/bound-histogram.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1];
// On a bound, between bounds, past the last bound, zero, and repeated.
const SAMPLES: [string, string, number][] = [
  ['GET', '/a', 0.001], ['GET', '/a', 0.0049], ['GET', '/a', 0.005], ['POST', '/b', 2.5], ['POST', '/b', 0],
  ['GET', '/a', 0.25], ['POST', '/b', 0.01], ['GET', '/c', 1], ['GET', '/c', 1.0000001],
];

function both(): { reference: Registry; bound: Registry; histogram: BoundHistogram; prom: Histogram<'method' | 'route'> } {
  const reference = new Registry();
  const bound = new Registry();
  const prom = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [reference] });
  const histogram = new BoundHistogram({ name: 'x_seconds', help: 'h', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [bound] });
  return { reference, bound, histogram, prom };
}

test('the text exposition is line for line prom-client Histogram\'s', async () => {
  const { reference, bound, histogram, prom } = both();
  for (const [method, route, v] of SAMPLES) {
    prom.labels(method, route).observe(v);
    histogram.labels(method, route).observe(v);
  }
  const text = await bound.metrics();
  expect(text).toBe(await reference.metrics());
  expect(text).toContain('x_seconds_bucket{le="0.005",method="GET",route="/a"} 3');
  expect(text).toContain('x_seconds_bucket{le="+Inf",method="POST",route="/b"} 3');
  expect(text).toContain('x_seconds_count{method="GET",route="/c"} 2');
});

test('the JSON values and the cluster\'s sum of two workers are prom-client Histogram\'s', async () => {
  const a = both();
  const b = both();
  SAMPLES.forEach(([method, route, v], i) => {
    const w = i % 2 === 0 ? a : b;
    w.prom.labels(method, route).observe(v);
    w.histogram.labels(method, route).observe(v);
  });
  const boundJson = await a.bound.getMetricsAsJSON();
  const referenceJson = await a.reference.getMetricsAsJSON();
  expect(boundJson.map(({ name, help, type, aggregator, values }) => ({ name, help, type, aggregator, values })))
    .toEqual(referenceJson.map(({ name, help, type, aggregator, values }) => ({ name, help, type, aggregator, values: values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })) })));
  const summed = AggregatorRegistry.aggregate([await a.bound.getMetricsAsJSON(), await b.bound.getMetricsAsJSON()]);
  const summedReference = AggregatorRegistry.aggregate([await a.reference.getMetricsAsJSON(), await b.reference.getMetricsAsJSON()]);
  expect(await summed.metrics()).toBe(await summedReference.metrics());
  expect(await summed.metrics()).toContain('x_seconds_count{method="GET",route="/a"} 4');
});

test('a label set appears once observed; reset empties every one, as prom-client\'s does', async () => {
  const { bound, histogram } = both();
  const child = histogram.labels('GET', '/a');
  expect(histogram.labels('GET', '/a')).toBe(child);
  expect(await bound.metrics()).toBe('# HELP x_seconds h\n# TYPE x_seconds histogram\n');
  child.observe(0.002);
  expect(await bound.metrics()).toContain('x_seconds_sum{method="GET",route="/a"} 0.002');
  bound.resetMetrics();
  expect(await bound.metrics()).toBe('# HELP x_seconds h\n# TYPE x_seconds histogram\n');
  child.observe(0.5);
  expect(await bound.metrics()).toContain('x_seconds_count{method="GET",route="/a"} 1');
});

test('a value that is not a finite number, a wrong count of label values and unsorted buckets are refused', () => {
  const { histogram } = both();
  expect(() => histogram.labels('GET', '/a').observe(Number.NaN)).toThrow(new TypeError('Value is not a valid number: NaN'));
  expect(() => histogram.labels('GET')).toThrow(new Error('x_seconds: expected 2 label values, got 1'));
  expect(() => new BoundHistogram({ name: 'y', help: 'h', labelNames: ['a'], buckets: [1, 0.5], registers: [] }))
    .toThrow(new Error('y: buckets must be given in ascending order'));
  expect(() => new BoundHistogram({ name: 'y', help: 'h', labelNames: ['a'], buckets: [], registers: [] }))
    .toThrow(new Error('y: buckets must be given in ascending order'));
});

test('label sets are told apart whatever characters their values hold', async () => {
  const { bound, histogram } = both();
  const a = histogram.labels('a\u0000b', 'c');
  const b = histogram.labels('a', 'b\u0000c');
  expect(a).not.toBe(b);
  a.observe(0.002);
  b.observe(0.2);
  b.observe(0.3);
  const text = await bound.metrics();
  expect(text).toContain('x_seconds_count{method="a\u0000b",route="c"} 1');
  expect(text).toContain('x_seconds_count{method="a",route="b\u0000c"} 2');
});
