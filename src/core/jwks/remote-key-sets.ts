/**
 * Key sets fetched from URLs (clients' `jwks_uri`, external issuers'),
 * cached per URL for every request of this process:
 * - a set is reused for `cacheMs`; after that the next use fetches it again;
 * - a `kid` the set does not have (the owner rotated) refetches at most once
 *   per `cooldownMs`, so JWTs with made-up kids cannot make us hammer the owner;
 * - concurrent requests share one fetch;
 * - when a refetch fails, the last good set is used for up to `staleMs`
 *   more (an owner's brief outage does not lock its workloads out);
 * - at most `maxEntries` URLs are kept (oldest first out).
 * Keys are then selected by jose's local JWKS resolver (kid, alg, kty, use).
 */
import { errors as joseErrors, type createLocalJWKSet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { DEFAULT_FETCH_LIMITS, fetchJsonObject, FetchFailedError, type FetchLimits } from './fetch-json.js';
import { parseFetchedJwks } from './public-jwks.js';
import { localKeySet } from './key-source.js';

export interface RemoteKeySetOptions {
  cacheMs: number;
  cooldownMs: number;
  staleMs: number;
  maxEntries: number;
  limits: FetchLimits;
  now: () => number;
}

export const DEFAULT_REMOTE_KEY_SET_OPTIONS: RemoteKeySetOptions = Object.freeze({
  cacheMs: 10 * 60_000,
  cooldownMs: 30_000,
  staleMs: 60 * 60_000,
  maxEntries: 1000,
  limits: DEFAULT_FETCH_LIMITS,
  now: Date.now,
});

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
export type ResolvedKey = Awaited<ReturnType<KeyResolver>>;

interface Entry {
  resolver: KeyResolver | null;
  fetchedAt: number;
  /** When the last fetch started (success or not), for the cooldown. */
  attemptedAt: number;
  pending: Promise<KeyResolver> | null;
}

export class RemoteKeySets {
  readonly #entries = new Map<string, Entry>();
  readonly #o: RemoteKeySetOptions;

  constructor(options: Partial<RemoteKeySetOptions> = {}) {
    this.#o = { ...DEFAULT_REMOTE_KEY_SET_OPTIONS, ...options };
  }

  /** The key `header` names in the set at `url`. Throws jose's JWKSNoMatchingKey, or FetchFailedError when the set cannot be had. */
  async key(url: string, header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<ResolvedKey> {
    const now = this.#o.now();
    let entry = this.#entries.get(url);
    let resolver = entry?.resolver && this.#usable(entry, now) ? entry.resolver : await this.#refresh(url, false);
    try {
      return await resolver(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      entry = this.#entries.get(url);
      // The owner may have rotated: look again, at most once per cooldown.
      if (entry && now - entry.attemptedAt < this.#o.cooldownMs) throw err;
      resolver = await this.#refresh(url, true);
      return resolver(header, token);
    }
  }

  /** Fresh; or past its time but within the stale window while the last fetch failed less than a cooldown ago. */
  #usable(entry: Entry, now: number): boolean {
    const age = now - entry.fetchedAt;
    if (age < this.#o.cacheMs) return true;
    return age < this.#o.cacheMs + this.#o.staleMs && entry.attemptedAt > entry.fetchedAt && now - entry.attemptedAt < this.#o.cooldownMs;
  }

  async #refresh(url: string, afterMiss: boolean): Promise<KeyResolver> {
    const existing = this.#entries.get(url);
    if (existing?.pending) return existing.pending;
    const entry: Entry = existing ?? { resolver: null, fetchedAt: 0, attemptedAt: 0, pending: null };
    entry.attemptedAt = this.#o.now();
    entry.pending = this.#fetch(url).then(
      (resolver) => {
        entry.resolver = resolver;
        entry.fetchedAt = this.#o.now();
        return resolver;
      },
      (err: unknown) => {
        // Stale beats nothing while the owner is briefly down; a kid miss gets no stale answer (the set is what it was).
        if (!afterMiss && entry.resolver && this.#o.now() - entry.fetchedAt < this.#o.cacheMs + this.#o.staleMs) return entry.resolver;
        throw err;
      },
    ).finally(() => {
      entry.pending = null;
    });
    this.#remember(url, entry);
    return entry.pending;
  }

  async #fetch(url: string): Promise<KeyResolver> {
    const parsed = parseFetchedJwks(await fetchJsonObject(url, this.#o.limits));
    if (!parsed.ok) throw new FetchFailedError(url, `not a usable JWK Set (${parsed.problem})`);
    return localKeySet(parsed.jwks);
  }

  #remember(url: string, entry: Entry): void {
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    while (this.#entries.size > this.#o.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
