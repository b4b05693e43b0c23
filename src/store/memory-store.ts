/**
 * The zero-setup store: everything in process memory, lost on restart.
 * It behaves like RedisStore as far as callers can observe (same ordering,
 * same cursors, same expiry, same errors), so code and tests written
 * against one hold for the other; the shared contract suite checks that.
 */
import { MemorySigningKeys } from './memory/signing-keys.js';
import { InvalidRequestError, StoreUnavailableError } from '../core/errors.js';
import { REVOCATION_MARGIN_MS } from '../core/tokens/clock-tolerance.js';
import { compareIds, decodeCursor, encodeCursor } from './cursor.js';
import type { ClientRecord, ClientRepository, Page, PageRequest, RevocationFeedEntry, RevocationList, Store } from './store.js';
import { MemoryRoleRepository, MemoryUserRepository } from './memory/users.js';
import { MemoryAttemptCounter, MemoryAuthorizationCodes, MemoryAuthorizationRequests } from './memory/login-and-codes.js';
import { MemoryRefreshTokenRepository } from './memory/refresh-tokens.js';
import { MemoryApiTokenRepository } from './memory/api-tokens.js';
import { MemoryAuditLog } from './memory/audit-log.js';
import { MemoryRateLimiter } from './memory/rate-limits.js';
import { MemoryUsageRepository } from './memory/usage.js';
import { MemoryWebhookRepository } from './memory/webhooks.js';
import { MemoryEventCounters } from './memory/counters.js';
import { MemoryJobState } from './memory/job-state.js';
import { MemoryBaselines } from './memory/baselines.js';
import { MemoryReplayCache, MemoryServerSecrets } from './memory/replay.js';
import { MemoryTrustPolicyRepository } from './memory/trust-policies.js';
import { compareStreamIds, StreamIds, streamIdMs } from './memory/stream-ids.js';

export interface MemoryStoreOptions {
  /** Epoch milliseconds; injectable so tests can move time. Defaults to Date.now. */
  now?: () => number;
  /** How often expired revocations are swept. Defaults to one minute. */
  sweepIntervalMs?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Shared by the repositories so that a closed store refuses work like a closed Redis connection does. */
interface Lifecycle {
  closed: boolean;
}

function assertOpen(life: Lifecycle): void {
  if (life.closed) throw new StoreUnavailableError('the store is closed');
}

class MemoryClientRepository implements ClientRepository {
  // Records by id, plus the ids kept sorted so that a page is a binary
  // search and a slice rather than a sort of every id on every call.
  readonly #records = new Map<string, ClientRecord>();
  readonly #sortedIds: string[] = [];

  constructor(private readonly life: Lifecycle) {}

  async create(client: ClientRecord): Promise<boolean> {
    assertOpen(this.life);
    if (this.#records.has(client.client_id)) return false;
    // Copy in: a caller mutating its object afterwards must not change the store.
    this.#records.set(client.client_id, structuredClone(client));
    this.#sortedIds.splice(this.#firstIndexAfter(client.client_id, true), 0, client.client_id);
    return true;
  }

  async replace(client: ClientRecord): Promise<boolean> {
    assertOpen(this.life);
    if (!this.#records.has(client.client_id)) return false;
    this.#records.set(client.client_id, structuredClone(client));
    return true;
  }

  async replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean> {
    assertOpen(this.life);
    const record = this.#records.get(clientId);
    if (!record || record.secret_hash !== expected) return false;
    record.secret_hash = next;
    return true;
  }

  async get(clientId: string): Promise<ClientRecord | null> {
    assertOpen(this.life);
    const record = this.#records.get(clientId);
    // Copy out: a caller mutating the answer must not change the store.
    return record === undefined ? null : structuredClone(record);
  }

  async list(page: PageRequest): Promise<Page<ClientRecord>> {
    // Decode before anything else: a bad cursor is the caller's error whatever the store's state.
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    assertOpen(this.life);
    const start = after === undefined ? 0 : this.#firstIndexAfter(after, false);
    const ids = this.#sortedIds.slice(start, start + page.limit);
    const more = start + ids.length < this.#sortedIds.length;
    const items: ClientRecord[] = [];
    for (const id of ids) {
      const record = this.#records.get(id);
      if (record !== undefined) items.push(structuredClone(record));
    }
    const last = ids[ids.length - 1];
    return { items, next_cursor: more && last !== undefined ? encodeCursor(last) : null };
  }

  async delete(clientId: string): Promise<boolean> {
    assertOpen(this.life);
    if (!this.#records.delete(clientId)) return false;
    const index = this.#firstIndexAfter(clientId, true);
    if (this.#sortedIds[index] === clientId) this.#sortedIds.splice(index, 1);
    return true;
  }

  /**
   * Index of the first id greater than `id` (or, with `inclusive`, greater
   * than or equal to it): the insertion point, and where an exclusive cursor
   * resumes.
   */
  #firstIndexAfter(id: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.#sortedIds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = compareIds(this.#sortedIds[mid] as string, id);
      if (cmp < 0 || (cmp === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class MemoryRevocationList implements RevocationList {
  /** jti → when the entry goes (the token's exp plus the revocation margin), epoch ms. */
  readonly #entries = new Map<string, number>();
  /** user id → cut-off in epoch ms; kept until the user is deleted. */
  readonly #cutoffs = new Map<string, number>();
  /** The revocation feed, in order; ids as Redis stream ids. */
  readonly #feed: RevocationFeedEntry[] = [];
  readonly #feedIds = new StreamIds();

  constructor(
    private readonly life: Lifecycle,
    private readonly now: () => number,
  ) {}

  async add(jti: string, expiresAtMs: number): Promise<void> {
    assertOpen(this.life);
    // Kept past exp while a validator's clock tolerance could still accept the token, as in Redis.
    const until = expiresAtMs + REVOCATION_MARGIN_MS;
    if (until <= this.now()) return;
    this.#entries.set(jti, until);
    this.#append('token', jti, Math.ceil(expiresAtMs));
  }

  #append(kind: RevocationFeedEntry['kind'], ref: string, at: number): void {
    this.#feed.push({ id: this.#feedIds.next(this.now()), kind, ref, at });
  }

  async feed(after: string | undefined, limit: number): Promise<{ entries: RevocationFeedEntry[]; last: string | null; more: boolean }> {
    assertOpen(this.life);
    // One stream here, so a cursor is one stream id (a Redis store's cursor, one position per shard, is not ours).
    if (after !== undefined && !/^\d{1,15}-\d{1,20}$/.test(after)) throw new InvalidRequestError('cursor is not valid');
    const start = after === undefined ? 0 : this.#feed.findIndex((e) => compareStreamIds(e.id, after) > 0);
    const rest = start === -1 ? [] : this.#feed.slice(start);
    const entries = rest.slice(0, limit).map((e) => ({ ...e }));
    return { entries, last: entries.at(-1)?.id ?? after ?? null, more: rest.length > limit };
  }

  async trimFeed(beforeMs: number): Promise<void> {
    assertOpen(this.life);
    let drop = 0;
    while (drop < this.#feed.length && streamIdMs(this.#feed[drop]!.id) < beforeMs) drop++;
    this.#feed.splice(0, drop);
  }

  async setUserCutoff(userId: string, atMs: number): Promise<void> {
    assertOpen(this.life);
    this.#cutoffs.set(userId, Math.ceil(atMs));
    this.#append('cutoff', userId, Math.ceil(atMs));
  }

  async deleteUserCutoff(userId: string): Promise<void> {
    assertOpen(this.life);
    this.#cutoffs.delete(userId);
  }

  async status(jti: string, userId: string | null, alsoIds: readonly string[] = []): Promise<{ revoked: boolean; userCutoffMs: number | null }> {
    let revoked = false;
    for (const id of [jti, ...alsoIds]) if (await this.has(id)) revoked = true;
    return { revoked, userCutoffMs: userId === null ? null : (this.#cutoffs.get(userId) ?? null) };
  }

  async has(jti: string): Promise<boolean> {
    assertOpen(this.life);
    const expiresAt = this.#entries.get(jti);
    if (expiresAt === undefined) return false;
    // Checked on read, as Redis does, so an answer never depends on when the last sweep ran.
    if (expiresAt <= this.now()) {
      this.#entries.delete(jti);
      return false;
    }
    return true;
  }

  /** Drops every expired entry; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [jti, expiresAt] of this.#entries) {
      if (expiresAt <= now) {
        this.#entries.delete(jti);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.#entries.size;
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly clients: ClientRepository;
  readonly revocations: RevocationList;
  readonly users: MemoryUserRepository;
  readonly roles: MemoryRoleRepository;
  readonly loginAttempts: MemoryAttemptCounter;
  readonly authorizationRequests: MemoryAuthorizationRequests;
  readonly authorizationCodes: MemoryAuthorizationCodes;
  readonly refreshTokens: MemoryRefreshTokenRepository;
  readonly apiTokens: MemoryApiTokenRepository;
  readonly audit: MemoryAuditLog;
  readonly rateLimits: MemoryRateLimiter;
  readonly usage: MemoryUsageRepository;
  readonly webhooks: MemoryWebhookRepository;
  readonly counters: MemoryEventCounters;
  readonly jobs: MemoryJobState;
  readonly baselines: MemoryBaselines;
  readonly replay: MemoryReplayCache;
  readonly secrets: MemoryServerSecrets;
  readonly trustPolicies: MemoryTrustPolicyRepository;
  readonly signingKeys: MemorySigningKeys;
  readonly #revocations: MemoryRevocationList;
  readonly #life: Lifecycle = { closed: false };
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    const now = options.now ?? Date.now;
    this.clients = new MemoryClientRepository(this.#life);
    this.#revocations = new MemoryRevocationList(this.#life, now);
    this.revocations = this.#revocations;
    const open = () => assertOpen(this.#life);
    this.users = new MemoryUserRepository(open);
    this.roles = new MemoryRoleRepository(open);
    this.loginAttempts = new MemoryAttemptCounter(open, now);
    this.authorizationRequests = new MemoryAuthorizationRequests(open, now);
    this.authorizationCodes = new MemoryAuthorizationCodes(open, now);
    this.refreshTokens = new MemoryRefreshTokenRepository(open, now);
    this.apiTokens = new MemoryApiTokenRepository(open, now);
    this.audit = new MemoryAuditLog(open);
    this.rateLimits = new MemoryRateLimiter(open, now);
    this.usage = new MemoryUsageRepository(open, now);
    this.webhooks = new MemoryWebhookRepository(open, now);
    this.counters = new MemoryEventCounters(open, now);
    this.jobs = new MemoryJobState(open, now);
    this.baselines = new MemoryBaselines(open, now);
    this.replay = new MemoryReplayCache(open, now);
    this.secrets = new MemoryServerSecrets(open);
    this.trustPolicies = new MemoryTrustPolicyRepository(open);
    this.signingKeys = new MemorySigningKeys(open, now);
    // Lazy expiry alone would keep entries that are never read again (most
    // revoked tokens are never presented again), so a sweep bounds memory.
    // unref(): the sweep must never be what keeps the process alive.
    this.#sweeper = setInterval(() => this.sweepExpired(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Removes expired revocations now; the interval calls this. Returns how many were removed. */
  sweepExpired(): number {
    return (
      this.#revocations.sweep() + this.refreshTokens.sweep() + this.loginAttempts.map.sweep() +
      this.authorizationRequests.map.sweep() + this.authorizationCodes.codes.sweep() + this.authorizationCodes.used.sweep() +
      this.apiTokens.sweep() + this.rateLimits.map.sweep() + this.usage.map.sweep() +
      this.webhooks.sweep() + this.counters.map.sweep() + this.jobs.sweep() + this.baselines.map.sweep() + this.replay.map.sweep()
    );
  }

  /** Revocation entries currently held, expired-but-unswept ones included (for tests and metrics). */
  get revocationEntryCount(): number {
    return this.#revocations.size;
  }

  /** Nothing here is ever evicted. */
  async evictionPolicy(): Promise<string | null> {
    return null;
  }

  async ping(): Promise<void> {
    assertOpen(this.#life);
  }

  async close(): Promise<void> {
    this.#life.closed = true;
    clearInterval(this.#sweeper);
  }
}
