/**
 * Refresh-token families in memory, with the semantics of the Redis script
 * (src/store/redis/refresh-tokens.ts): a family holds its live token; any
 * other token of a live family is reuse. Each method runs without awaiting
 * between its reads and writes, so it is atomic within the process.
 */
import type {
  FamilyAccessToken, RefreshFamilyRecord, RefreshSession, RefreshTokenRecord, RefreshTokenRepository, RotateArgs, RotationOutcome,
} from '../store.js';
import { ExpiringMap } from './expiring-map.js';

interface Family { record: RefreshFamilyRecord; live: RefreshTokenRecord; revoked: boolean; accessTokens: FamilyAccessToken[] }

const ACCESS_TOKENS_KEPT = 50;

export class MemoryRefreshTokenRepository implements RefreshTokenRepository {
  readonly families: ExpiringMap<Family>;
  /** After a rotation, per family: the consumed token, its successor and what gives the successor back (RotateArgs.successorSealed), for the grace window. */
  readonly grace: ExpiringMap<{ consumed: string; successor: string; sealed: string }>;
  /** Family ids by user, with each family's end (epoch ms); ended entries leave when the user's list is read. */
  readonly #byUser = new Map<string, Map<string, number>>();

  constructor(private readonly assertOpen: () => void, private readonly now: () => number) {
    this.families = new ExpiringMap(now);
    this.grace = new ExpiringMap(now);
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    this.assertOpen();
    this.families.set(family.family_id, { record: structuredClone(family), live: { ...structuredClone(first), family_id: family.family_id }, revoked: false, accessTokens: [] }, family.expires_at);
    let mine = this.#byUser.get(family.user_id);
    if (!mine) this.#byUser.set(family.user_id, (mine = new Map()));
    mine.set(family.family_id, family.expires_at);
  }

  #liveFamily(id: string, nowMs: number): Family | null {
    const f = this.families.get(id);
    return f && !f.revoked && f.record.expires_at > nowMs ? f : null;
  }

  async get(familyId: string, tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    this.assertOpen();
    const f = this.#liveFamily(familyId, nowMs);
    return f && f.live.token_hash === tokenHash ? { token: structuredClone(f.live), family: structuredClone(f.record) } : null;
  }

  async rotate(args: RotateArgs): Promise<RotationOutcome> {
    this.assertOpen();
    const f = this.#liveFamily(args.familyId, args.nowMs);
    if (!f) return { outcome: 'invalid' };
    if (f.record.client_id !== args.clientId) return { outcome: 'wrong_client' };
    if (f.live.token_hash === args.tokenHash) {
      let scopes = args.successor.scopes;
      const checks = args.checks;
      if (checks) {
        // RFC 9449 §5: a family bound to a key is refreshed only with a proof made by that key.
        if (f.record.jkt !== undefined && f.record.jkt !== checks.jkt) return { outcome: 'key_bound' };
        // RFC 6749 §6: a refresh may narrow the scope, never add to the original grant.
        if (checks.asked?.some((s) => !f.record.scopes.includes(s))) return { outcome: 'scope_outside', family: structuredClone(f.record) };
        scopes = [...(checks.asked ?? f.live.scopes)];
      }
      f.live = { ...structuredClone(args.successor), scopes: [...scopes], family_id: f.record.family_id };
      if (args.graceMs > 0) this.grace.set(f.record.family_id, { consumed: args.tokenHash, successor: args.successor.token_hash, sealed: args.successorSealed }, args.nowMs + args.graceMs);
      else this.grace.delete(f.record.family_id);
      this.#remember(f, args.accessToken);
      return checks ? { outcome: 'rotated', family: structuredClone(f.record), scopes: [...scopes] } : { outcome: 'rotated', family: structuredClone(f.record) };
    }
    const kept = this.grace.get(f.record.family_id);
    // Only while the successor is still the live token: once it has been used, this is reuse (RFC 9700 §4.14.2).
    if (kept !== undefined && kept.consumed === args.tokenHash && kept.successor === f.live.token_hash) {
      this.#remember(f, args.accessToken);
      return { outcome: 'grace', family: structuredClone(f.record), successor_sealed: kept.sealed };
    }
    f.revoked = true;
    this.grace.delete(f.record.family_id);
    return { outcome: 'reuse', family: structuredClone(f.record), access_tokens: f.accessTokens.map((a) => ({ ...a })) };
  }

  #remember(f: Family, token: FamilyAccessToken | null | undefined): void {
    if (!token) return;
    f.accessTokens.unshift({ ...token });
    f.accessTokens.length = Math.min(f.accessTokens.length, ACCESS_TOKENS_KEPT);
  }

  async revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null> {
    this.assertOpen();
    const f = this.families.get(familyId);
    if (!f) return null;
    f.revoked = true;
    this.grace.delete(familyId);
    return f.accessTokens.map((a) => ({ ...a }));
  }

  async addAccessToken(familyId: string, token: FamilyAccessToken): Promise<boolean> {
    this.assertOpen();
    const f = this.families.get(familyId);
    if (!f || f.revoked) return false;
    this.#remember(f, token);
    return true;
  }

  /** The family as a session: its last refresh is when its live token was made, if after the family began. */
  #session(f: Family): RefreshSession {
    const at = f.live.created_at;
    return { family: structuredClone(f.record), last_refreshed_at: at > f.record.created_at ? at : null };
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
    return this.families.sweep() + this.grace.sweep();
  }
}
