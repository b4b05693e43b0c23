/**
 * An append-only log over several Redis Streams (the audit log, the
 * revocation feed), so that appends from every instance do not all land on
 * one key, one slot, one Cluster node.
 *
 * Who writes where: each store (each process) appends to one shard, picked
 * at random when it opens. So the entries one process appends keep their
 * order; entries of different processes are in different shards, ordered
 * only by their stream ids, i.e. by the clock of the node that holds the
 * shard (milliseconds), and within one millisecond by sequence then shard.
 *
 * Ids seen by callers are unique across shards and keep the stream id form
 * `<ms>-<n>`: n = seq * ID_STRIDE + shard. Sorting by them is the merged
 * order described above.
 *
 * Reading in order:
 * - range() pages through all shards merged (the audit log), resuming
 *   after a caller-seen id. An entry that another process appends to another
 *   shard with an id below one already read (clock skew between nodes, or
 *   the same millisecond) is not returned by a later page: fine for browsing
 *   history; a follower of the live log re-reads a short window
 *   (`tessera audit tail` does).
 * - readAfter() resumes from a cursor that holds a position per shard (the
 *   revocation feed), so nothing appended later is ever skipped, whatever
 *   the clocks say.
 *
 * A legacy key (the single stream of earlier versions) is read as one more
 * shard and never appended to, so what an instance of an earlier version
 * appends during a rolling upgrade is seen too.
 */
import { randomInt } from 'node:crypto';
import { InvalidRequestError } from '../../core/errors.js';
import { FEED_CURSOR_PATTERN } from '../feed-cursor.js';
import { guarded, storeErrorOf, type RedisClient } from './connection.js';
import type { DurableWrites } from './durable-writes.js';
import { installScript } from './scripts.js';

/** Room for 16 shards and the legacy stream: ids stay readable as `<ms>-<seq * 32 + shard>`. */
export const ID_STRIDE = 32;
/** A hard bound on every shard whatever the trimming does. */
const MAX_LEN = '1000000';
const TRIM_ALL_EVERY_MS = 60_000;
const BATCH = 200;

type Fields = string[];
export interface StreamEntry {
  /** The caller-facing id (`<ms>-<seq * ID_STRIDE + shard>`). */
  id: string;
  ms: number;
  fields: Fields;
}

interface Raw { shard: number; ms: number; seq: number; fields: Fields }

function parseId(id: string): { ms: number; seq: number } {
  const [ms = '0', seq = '0'] = id.split('-');
  return { ms: Number(ms), seq: Number(seq) };
}

const callerId = (ms: number, seq: number, shard: number): string => `${ms}-${seq * ID_STRIDE + shard}`;
const toEntry = (r: Raw): StreamEntry => ({ id: callerId(r.ms, r.seq, r.shard), ms: r.ms, fields: r.fields });
const compareRaw = (a: Raw, b: Raw) => a.ms - b.ms || a.seq - b.seq || a.shard - b.shard;

/** A caller-facing id split into its stream id and shard; null when it is not one. */
export function splitId(id: string): { ms: number; seq: number; shard: number } | null {
  const m = /^(\d{1,15})-(\d{1,20})$/.exec(id);
  if (!m) return null;
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n)) return null;
  return { ms: Number(m[1]), seq: Math.floor(n / ID_STRIDE), shard: n % ID_STRIDE };
}

/**
 * Feed cursors: one position per shard, `.`-separated. `<ms>-<seq>` resumes
 * after that entry, a bare `<ms>` from that millisecond on (`0`: from the
 * start). A single `<ms>-<seq>` is a cursor of an earlier version (one
 * stream): it resumes the legacy stream after it and every shard from its
 * millisecond, which may repeat entries (harmless: revocations only add)
 * but never skips one.
 */
const POSITION = /^\d{1,15}(?:-\d{1,20})?$/;

/**
 * KEYS: the shard. ARGV: the MINID bound, the number of fields per entry,
 * then each entry's fields. One XADD per entry, as append() sends it; an
 * entry Redis refuses answers its error in its place (redis.pcall), the
 * others are appended all the same. Returns the ids (or errors) in order.
 */
const APPEND_MANY_SCRIPT = `
local n = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV, n do
  local args = {'XADD', KEYS[1], 'MINID', '~', ARGV[1], '*'}
  for j = 0, n - 1 do args[#args + 1] = ARGV[i + j] end
  out[#out + 1] = redis.pcall(unpack(args))
end
return out`;

interface Waiting {
  fields: Fields;
  minMs: number;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

type AppendMany = (key: string, minId: string, perEntry: string, ...fields: string[]) => Promise<Array<string | Error>>;

export class ShardedStream {
  /** The shard this process appends to. */
  readonly mine: number;
  #lastTrimAll = 0;
  /** Trimmed appends of this tick that are not durable, sent together at its end (append()). */
  #waiting: Waiting[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly durable: DurableWrites,
    private readonly shardKeys: readonly string[],
    /** The stream of earlier versions, read as shard `shardKeys.length`; null on a Cluster (no earlier version ran there). */
    private readonly legacyKey: string | null,
  ) {
    if (shardKeys.length + (legacyKey ? 1 : 0) > ID_STRIDE) throw new RangeError('too many shards for the id stride');
    this.mine = randomInt(shardKeys.length);
    installScript(redis, 'tesseraStreamAppendMany', 1, APPEND_MANY_SCRIPT);
  }

  get #keys(): string[] {
    return this.legacyKey ? [...this.shardKeys, this.legacyKey] : [...this.shardKeys];
  }

  /**
   * Appends to this process's shard. With `minMs`, entries older than it are
   * trimmed there (approximately, `~`: whole macro nodes, O(1) amortised)
   * and, at most once a minute, in every shard, so that shards no live
   * process appends to are trimmed too. `durable`: confirmed by a replica
   * (see durable-writes.ts).
   */
  async append(fields: Fields, minMs: number | undefined, options: { durable?: boolean } = {}): Promise<StreamEntry> {
    const key = this.appendKey;
    let id: string;
    if (minMs !== undefined && !options.durable && fields.length > 0) {
      id = await this.#appendInBatch(fields, minMs);
    } else {
      const trim = minMs === undefined ? ['MAXLEN', '~', MAX_LEN] : ['MINID', '~', String(Math.max(0, Math.floor(minMs)))];
      const add = (c: RedisClient) => c.xadd(key, ...trim, '*', ...fields) as Promise<string>;
      id = options.durable ? await this.durable.write(key, add) : await guarded(() => add(this.redis));
    }
    if (minMs !== undefined) this.#trimAllNow(minMs);
    const { ms, seq } = parseId(id);
    return toEntry({ shard: this.mine, ms, seq, fields });
  }

  /**
   * append() with trimming, neither durable nor answered by a promise: the
   * entry joins this tick's batch (#appendInBatch) and `settled` is called
   * once the batch is answered, with null, or the error of this entry or of
   * the batch. For a caller that only needs to know of a failure (the audit
   * log's fire-and-forget events): an append() goes through two async
   * functions and a promise of its own, which cost a busy token endpoint
   * more than the entry's JSON. `settled` must not throw: it runs in the
   * batch's answer, where a throw is an unhandled rejection.
   */
  appendLater(fields: Fields, minMs: number, settled: (err: unknown) => void): void {
    if (this.#waiting.length === 0) process.nextTick(() => this.#sendBatch());
    this.#waiting.push({ fields, minMs, resolve: () => settled(null), reject: settled });
    this.#trimAllNow(minMs);
  }

  /** The shard this process appends to, for a script that appends with writes of its own (appendedInScript()). */
  get appendKey(): string {
    return this.shardKeys[this.mine]!;
  }

  /**
   * After a script of the caller's appended to appendKey with MINID `minMs`
   * trimming, as append() does: the caller-facing id of the entry its XADD
   * answered, and the other shards trimmed as append() trims them.
   */
  appendedInScript(streamId: string, minMs: number): string {
    this.#trimAllNow(minMs);
    const { ms, seq } = parseId(streamId);
    return callerId(ms, seq, this.mine);
  }

  #trimAllNow(minMs: number): void {
    if (Date.now() - this.#lastTrimAll < TRIM_ALL_EVERY_MS) return;
    // Shards no live process appends to are trimmed too. Best effort: the next minute tries again.
    this.#lastTrimAll = Date.now();
    void this.trimBefore(minMs).catch(() => undefined);
  }

  /**
   * The appends made in one tick (the requests answered together) leave as
   * one command at its end: one XADD when there is one, else one script
   * with an XADD per entry, in the order they were made. Each keeps its own
   * answer: its id, or its own error. Trimmed at the oldest bound of the
   * batch, so no entry within any append's retention is trimmed.
   */
  #appendInBatch(fields: Fields, minMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.#waiting.length === 0) process.nextTick(() => this.#sendBatch());
      this.#waiting.push({ fields, minMs, resolve, reject });
    });
  }

  #sendBatch(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    const key = this.appendKey;
    let minMs = batch[0]!.minMs;
    for (const w of batch) if (w.minMs < minMs) minMs = w.minMs;
    const minId = String(Math.max(0, Math.floor(minMs)));
    const first = batch[0]!;
    if (batch.length === 1) {
      guarded(() => this.redis.xadd(key, 'MINID', '~', minId, '*', ...first.fields) as Promise<string>).then(first.resolve, first.reject);
      return;
    }
    const perEntry = first.fields.length;
    // The script takes entries of one size; an entry of another size (no caller makes one today) goes on its own.
    const same = batch.filter((w) => w.fields.length === perEntry);
    for (const w of batch) {
      if (w.fields.length !== perEntry) guarded(() => this.redis.xadd(key, 'MINID', '~', minId, '*', ...w.fields) as Promise<string>).then(w.resolve, w.reject);
    }
    const args: string[] = [];
    for (const w of same) args.push(...w.fields);
    guarded(() => (this.redis as RedisClient & { tesseraStreamAppendMany: AppendMany }).tesseraStreamAppendMany(key, minId, String(perEntry), ...args)).then(
      (ids) => same.forEach((w, i) => {
        const id = ids[i];
        if (typeof id === 'string') w.resolve(id);
        else w.reject(storeErrorOf(id ?? new Error('no id for an appended entry')));
      }),
      (err: unknown) => { for (const w of same) w.reject(err); },
    );
  }

  /** Drops entries appended before `beforeMs` in every shard; a legacy stream left empty is deleted. */
  async trimBefore(beforeMs: number): Promise<void> {
    const minId = String(Math.max(0, Math.floor(beforeMs)));
    await guarded(() => Promise.all(this.shardKeys.map((k) => this.redis.xtrim(k, 'MINID', '~', minId))));
    if (this.legacyKey) {
      const legacy = this.legacyKey;
      await guarded(async () => {
        await this.redis.xtrim(legacy, 'MINID', minId);
        if ((await this.redis.xlen(legacy)) === 0) await this.redis.del(legacy);
      });
    }
  }

  async #read(shard: number, order: 'asc' | 'desc', from: string, to: string, count: number): Promise<Raw[]> {
    const key = this.#keys[shard]!;
    const rows = order === 'asc'
      ? await this.redis.xrange(key, from, to, 'COUNT', count)
      : await this.redis.xrevrange(key, from, to, 'COUNT', count);
    return rows.map(([id, fields]) => ({ shard, ...parseId(id), fields }));
  }

  /**
   * Entries of every shard merged in id order (or reverse), within
   * [sinceMs, untilMs), strictly after (or, descending, before) `after`;
   * `visit` is called for each until it answers false.
   */
  async range(
    q: {
      order: 'asc' | 'desc'; sinceMs?: number | undefined; untilMs?: number | undefined; after?: string | undefined;
      /** Entries read per shard at first (later reads take BATCH): about one page's worth. */
      firstBatch?: number | undefined;
    },
    visit: (entry: StreamEntry) => boolean,
  ): Promise<void> {
    const asc = q.order === 'asc';
    const cursor = q.after === undefined ? null : splitId(q.after);
    if (q.after !== undefined && cursor === null) throw new InvalidRequestError('cursor is not valid');
    const shards = this.#keys.map((_, shard) => {
      // Bounds per shard, in XRANGE terms ('(' exclusive). The cursor's own
      // shard and those ordered before it (ascending) resume after its
      // stream id; later shards may hold an entry with that very stream id.
      let low = q.sinceMs !== undefined ? String(q.sinceMs) : '-';
      let high = q.untilMs !== undefined ? `(${q.untilMs}` : '+';
      if (cursor) {
        const at = `${cursor.ms}-${cursor.seq}`;
        if (asc) low = shard > cursor.shard ? at : `(${at}`;
        else high = shard < cursor.shard ? at : `(${at}`;
      }
      return { shard, low, high, buffer: [] as Raw[], done: false, count: Math.min(BATCH, Math.max(1, q.firstBatch ?? BATCH)) };
    });
    const inWindow = (r: Raw) => (q.sinceMs === undefined || r.ms >= q.sinceMs) && (q.untilMs === undefined || r.ms < q.untilMs);
    const refill = (s: (typeof shards)[number]) => guarded(async () => {
      const rows = asc ? await this.#read(s.shard, 'asc', s.low, s.high, s.count) : await this.#read(s.shard, 'desc', s.high, s.low, s.count);
      if (rows.length < s.count) s.done = true;
      s.count = BATCH;
      const last = rows.at(-1);
      if (last) {
        if (asc) s.low = `(${last.ms}-${last.seq}`;
        else s.high = `(${last.ms}-${last.seq}`;
      }
      s.buffer.push(...rows);
    });
    for (;;) {
      await Promise.all(shards.filter((s) => s.buffer.length === 0 && !s.done).map(refill));
      let best: (typeof shards)[number] | undefined;
      for (const s of shards) {
        const head = s.buffer[0];
        if (!head) continue;
        const c = best ? compareRaw(head, best.buffer[0]!) : 0;
        if (!best || (asc ? c < 0 : c > 0)) best = s;
      }
      if (!best) return;
      const next = best.buffer.shift()!;
      if (inWindow(next) && !visit(toEntry(next))) return;
    }
  }

  /**
   * Up to `limit` entries appended after the positions in `cursor`
   * (undefined: from the start of every shard), merged in id order; the
   * cursor to resume from, and whether more are waiting.
   */
  async readAfter(cursor: string | undefined, limit: number): Promise<{ entries: StreamEntry[]; cursor: string; more: boolean }> {
    const positions = this.#positions(cursor);
    const rows = await guarded(() => Promise.all(positions.map((p, shard) =>
      this.#read(shard, 'asc', p === '0' ? '-' : p.includes('-') ? `(${p}` : p, '+', limit + 1))));
    const merged = rows.flat().sort(compareRaw);
    const taken = merged.slice(0, limit);
    const next = [...positions];
    for (const r of taken) next[r.shard] = `${r.ms}-${r.seq}`;
    return { entries: taken.map(toEntry), cursor: next.join('.'), more: merged.length > limit };
  }

  #positions(cursor: string | undefined): string[] {
    const count = this.#keys.length;
    if (cursor === undefined) return new Array<string>(count).fill('0');
    if (!FEED_CURSOR_PATTERN.test(cursor)) throw new InvalidRequestError('cursor is not valid');
    const parts = cursor.split('.');
    if (parts.length === count && parts.every((p) => POSITION.test(p))) return parts;
    if (parts.length === 1 && parts[0]!.includes('-')) {
      // A cursor of the single-stream feed of earlier versions.
      const { ms } = parseId(parts[0]!);
      const positions = new Array<string>(count).fill(String(ms));
      if (this.legacyKey) positions[count - 1] = parts[0]!;
      return positions;
    }
    throw new InvalidRequestError('cursor is not valid');
  }
}
