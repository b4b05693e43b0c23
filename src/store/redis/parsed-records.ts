/**
 * The parsed form of the JSON records a repository reads through its cache
 * (record-cache.ts keeps the JSON), so that a cache hit is copied, not
 * parsed again: the token and introspection endpoints read a client on
 * every request (introspection two), and copying the parsed record costs
 * about a third of parsing its JSON. Each caller gets its own deep copy, so
 * none can alter what is kept. Keyed by id and checked against the JSON it
 * was parsed from, so a changed record is parsed afresh; bounded like the
 * cache (oldest first out).
 */
import type { RecordCache } from './record-cache.js';

/** A deep copy of a value parsed from JSON (objects, arrays and primitives only). */
export function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  // Spread defines own data properties (a `__proto__` key stays a key); nested values are then copied in place.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in out) {
    const nested = out[key];
    if (typeof nested === 'object' && nested !== null) out[key] = copyJson(nested);
  }
  return out as T;
}

export class ParsedRecords<T> {
  readonly #entries = new Map<string, { json: string; record: T }>();

  constructor(private readonly max: number) {}

  /** A copy of `json` parsed, for the record `id`; parsed only when `json` is not the one last seen for it. */
  parse(id: string, json: string): T {
    const seen = this.#entries.get(id);
    // Usually the very string the cache holds: the comparison is then one pointer check.
    if (seen !== undefined && seen.json === json) return copyJson(seen.record);
    const record = JSON.parse(json) as T;
    if (seen === undefined && this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, { json, record });
    return copyJson(record);
  }

  /**
   * A copy of the record `cache` holds under `key` for `id`, parsed, with no
   * store command and no promise; undefined when it holds none, or holds
   * JSON that does not parse: that is left to the repository's read, whose
   * answer to such a record is the one callers handle.
   */
  peeked(cache: RecordCache, key: string, id: string): T | undefined {
    const hit = cache.peek(key);
    if (hit === undefined) return undefined;
    try {
      return this.parse(id, hit);
    } catch {
      return undefined;
    }
  }

  /** What a read of `id` answers: a copy of its record parsed, or null (the record is gone, and forgotten here). */
  read(id: string, json: string | null): T | null {
    if (json !== null) return this.parse(id, json);
    this.#entries.delete(id);
    return null;
  }
}
