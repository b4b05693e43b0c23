/**
 * Refresh-token families in memory, with the semantics of the Redis script
 * (src/store/redis/refresh-tokens.ts). Each method runs without awaiting
 * between its reads and writes, so it is atomic within the process.
 */
import type {
  FamilyAccessToken, RefreshFamilyRecord, RefreshSession, RefreshTokenRecord, RefreshTokenRepository, RotationOutcome,
} from '../store.js';
import { ExpiringMap } from './expiring-map.js';

interface Family { record: RefreshFamilyRecord; live: string | null; revoked: boolean; accessTokens: FamilyAccessToken[] }
interface Token { record: RefreshTokenRecord; consumedAt: number | null }

export class MemoryRefreshTokenRepository implements RefreshTokenRepository {
  readonly families: ExpiringMap<Family>;
  readonly tokens: ExpiringMap<Token>;
  /** A consumed token's successor (its hash and its sealed secret), for the grace window. */
  readonly sealed: ExpiringMap<{ successor: string; sealed: string }>;
  /** Family ids by user, with each family's end (epoch ms); ended entries leave when the user's list is read. */
  readonly #byUser = new Map<string, Map<string, number>>();

  constructor(private readonly assertOpen: () => void, private readonly now: () => number) {
    this.families = new ExpiringMap(now);
    this.tokens = new ExpiringMap(now);
    this.sealed = new ExpiringMap(now);
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    this.assertOpen();
    this.families.set(family.family_id, { record: structuredClone(family), live: first.token_hash, revoked: false, accessTokens: [] }, family.expires_at);
    let mine = this.#byUser.get(family.user_id);
    if (!mine) this.#byUser.set(family.user_id, (mine = new Map()));
    mine.set(family.family_id, family.expires_at);
    this.tokens.set(first.token_hash, { record: structuredClone(first), consumedAt: null }, family.expires_at);
  }

  #liveFamily(id: string, nowMs: number): Family | null {
    const f = this.families.get(id);
    return f && !f.revoked && f.record.expires_at > nowMs ? f : null;
  }

  async get(tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    this.assertOpen();
    const t = this.tokens.get(tokenHash);
    if (!t || t.consumedAt !== null) return null;
    const f = this.#liveFamily(t.record.family_id, nowMs);
    return f ? { token: structuredClone(t.record), family: structuredClone(f.record) } : null;
  }

  async rotate(args: { tokenHash: string; clientId: string; successor: RefreshTokenRecord; successorSealed: string; nowMs: number; graceMs: number }): Promise<RotationOutcome> {
    this.assertOpen();
    const t = this.tokens.get(args.tokenHash);
    if (!t) return { outcome: 'invalid' };
    const f = this.#liveFamily(t.record.family_id, args.nowMs);
    if (!f) return { outcome: 'invalid' };
    if (f.record.client_id !== args.clientId) return { outcome: 'wrong_client' };
    if (t.consumedAt === null) {
      t.consumedAt = args.nowMs;
      if (args.graceMs > 0) this.sealed.set(args.tokenHash, { successor: args.successor.token_hash, sealed: args.successorSealed }, args.nowMs + args.graceMs);
      const successor = { ...structuredClone(args.successor), family_id: f.record.family_id };
      this.tokens.set(successor.token_hash, { record: successor, consumedAt: null }, f.record.expires_at);
      f.live = successor.token_hash;
      return { outcome: 'rotated', family: structuredClone(f.record) };
    }
    const kept = args.nowMs - t.consumedAt <= args.graceMs ? this.sealed.get(args.tokenHash) : undefined;
    // Only while the successor is still the live token: once it has been used, this is reuse (RFC 9700 §4.14.2).
    if (kept !== undefined && kept.successor === f.live) return { outcome: 'grace', family: structuredClone(f.record), successor_sealed: kept.sealed };
    f.revoked = true;
    if (f.live) this.tokens.delete(f.live);
    return { outcome: 'reuse', family: structuredClone(f.record), access_tokens: f.accessTokens.map((a) => ({ ...a })) };
  }

  async revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null> {
    this.assertOpen();
    const f = this.families.get(familyId);
    if (!f) return null;
    f.revoked = true;
    if (f.live) this.tokens.delete(f.live);
    return f.accessTokens.map((a) => ({ ...a }));
  }

  async addAccessToken(familyId: string, token: FamilyAccessToken): Promise<boolean> {
    this.assertOpen();
    const f = this.families.get(familyId);
    if (!f || f.revoked) return false;
    f.accessTokens.unshift({ ...token });
    f.accessTokens.length = Math.min(f.accessTokens.length, 50);
    return true;
  }

  /** The family as a session: its last refresh is when its live token was made, if after the family began. */
  #session(f: Family): RefreshSession {
    const live = f.live ? this.tokens.get(f.live) : undefined;
    const at = live?.record.created_at ?? null;
    return { family: structuredClone(f.record), last_refreshed_at: at !== null && at > f.record.created_at ? at : null };
  }

  async listFamilies(userId: string, nowMs: number, limit: number): Promise<RefreshSession[]> {
    this.assertOpen();
    const mine = this.#byUser.get(userId);
    if (!mine) return [];
    const sessions: RefreshSession[] = [];
    for (const [id, end] of mine) {
      const f = end > nowMs ? this.#liveFamily(id, nowMs) : null;
      if (f) sessions.push(this.#session(f));
      else mine.delete(id);
    }
    if (mine.size === 0) this.#byUser.delete(userId);
    // The ones ending last, as Redis's index picks them; then newest first.
    return sessions
      .sort((a, b) => b.family.expires_at - a.family.expires_at)
      .slice(0, limit)
      .sort((a, b) => b.family.created_at - a.family.created_at);
  }

  async getFamily(familyId: string, nowMs: number): Promise<RefreshSession | null> {
    this.assertOpen();
    const f = this.#liveFamily(familyId, nowMs);
    return f ? this.#session(f) : null;
  }

  sweep(): number {
    const now = this.now();
    for (const [user, mine] of this.#byUser) {
      for (const [id, end] of mine) if (end <= now) mine.delete(id);
      if (mine.size === 0) this.#byUser.delete(user);
    }
    return this.families.sweep() + this.tokens.sweep() + this.sealed.sweep();
  }
}
