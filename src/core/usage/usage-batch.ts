/**
 * Uses of tokens gathered in memory, merged per key: how many on each route,
 * when each scope was last exercised, the latest use, the longest expiry.
 * A thousand introspections of one token between two flushes become one
 * tally, so one write. Bounded: at most `maxKeys` keys wait (a use of a new
 * key past that is dropped and counted), and per key the same bounds as the
 * stored record (MAX_ROUTES routes, the rest under OTHER_ROUTES; MAX_SCOPES
 * scopes).
 */
import { MAX_ROUTES, MAX_SCOPES, OTHER_ROUTES, type TokenUse, type UsageTally } from '../../store/usage-records.js';

interface Pending {
  routes: Record<string, number>;
  routeCount: number;
  scopes: Record<string, number>;
  scopeCount: number;
  atMs: number;
  ip: string;
  expiresAtMs: number;
}

export class UsageBatch {
  #pending = new Map<string, Pending>();

  constructor(private readonly maxKeys: number) {}

  /** How many keys wait. */
  get size(): number {
    return this.#pending.size;
  }

  /** Adds one use; false when it was dropped (a new key, and `maxKeys` already wait). */
  note(key: string, use: TokenUse, expiresAtMs: number): boolean {
    if (expiresAtMs <= use.atMs) return true;
    return this.merge(key, { routes: { [use.route]: 1 }, scopes: scopesAt(use), atMs: use.atMs, ip: use.ip, expiresAtMs });
  }

  /** Adds a tally (one taken earlier whose write failed); false when it was dropped for want of room. */
  merge(key: string, tally: UsageTally): boolean {
    let p = this.#pending.get(key);
    if (!p) {
      if (this.#pending.size >= this.maxKeys) return false;
      p = { routes: {}, routeCount: 0, scopes: {}, scopeCount: 0, atMs: tally.atMs, ip: tally.ip, expiresAtMs: tally.expiresAtMs };
      this.#pending.set(key, p);
    }
    for (const route in tally.routes) {
      let field = route;
      if (p.routes[field] === undefined) {
        if (p.routeCount >= MAX_ROUTES) field = OTHER_ROUTES;
        if (p.routes[field] === undefined) p.routeCount++;
      }
      p.routes[field] = (p.routes[field] ?? 0) + tally.routes[route]!;
    }
    for (const scope in tally.scopes) {
      const at = tally.scopes[scope]!;
      const seen = p.scopes[scope];
      if (seen === undefined) {
        if (p.scopeCount >= MAX_SCOPES) continue;
        p.scopeCount++;
      }
      if (seen === undefined || seen < at) p.scopes[scope] = at;
    }
    if (tally.atMs >= p.atMs) {
      p.atMs = tally.atMs;
      p.ip = tally.ip;
    }
    if (tally.expiresAtMs > p.expiresAtMs) p.expiresAtMs = tally.expiresAtMs;
    return true;
  }

  /** Everything that waits, as one tally per key; the batch is empty after. */
  take(): Array<[string, UsageTally]> {
    const out: Array<[string, UsageTally]> = [];
    for (const [key, p] of this.#pending) out.push([key, { routes: p.routes, scopes: p.scopes, atMs: p.atMs, ip: p.ip, expiresAtMs: p.expiresAtMs }]);
    this.#pending = new Map();
    return out;
  }
}

function scopesAt(use: TokenUse): Record<string, number> {
  const scopes: Record<string, number> = {};
  for (const s of use.scopes ?? []) scopes[s] = use.atMs;
  return scopes;
}

/** How many uses a tally counts. */
export function usesIn(tally: UsageTally): number {
  let n = 0;
  for (const route in tally.routes) n += tally.routes[route]!;
  return n;
}
