/**
 * V8 settings the server process makes for itself, first thing in main.ts
 * (the library, createTessera, leaves its host's settings alone).
 *
 * Allocation-site pretenuring off. V8 watches each object and array
 * literal's site, and once nearly every object from a site has survived a
 * young collection while the young generation is at its largest, it
 * allocates that site's objects in the old generation from then on. A
 * token request's objects are short-lived, but at a steady rate some of
 * them (the request context, the rate limits applied to it, their
 * outcomes) were still referenced at the collections after them, and V8
 * began placing them in the old generation. There nothing young can tell
 * that they are garbage: every young object they point at survives each
 * young collection until the next full one, so more survives, which is what
 * made the sites look long-lived. Measured at 1,000 token requests a second
 * (two builds alternating, six 8 s rounds each): 7.2-7.8 MB promoted per
 * round with pretenuring, 2.8-3.2 MB without; young-collection pauses of
 * 1.1-2.4 ms against 0.7-1.6 ms on average; 9 full collections against 4;
 * p99 6.5-16.8 ms against 5.6-9.5 ms. Tessera keeps its state in Redis and
 * builds no large long-lived structures at run time, which is where
 * pretenuring pays.
 *
 * v8.setFlagsFromString after start-up is documented as use-with-care.
 * Set before any request is served, this flag governs every pretenuring
 * decision V8 would make: test/process/gc-tuning.test.ts shows that V8
 * digests no allocation-site feedback at all once it is set (and does
 * without it), on the Node that runs the tests (CI runs Node 20 and 22).
 */
import v8 from 'node:v8';

export function tuneGarbageCollection(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
