/**
 * Reports people act on: API tokens not used for a while (with where the
 * unused-token policy stands for each), and tokens expiring soon, grouped
 * by owner, so that each owner can be told about theirs.
 */
import type { ApiTokenRecord, PageRequest, Store } from '../../store/store.js';
import { compareIds, decodeCursor, encodeCursor } from '../../store/cursor.js';
import type { ApiTokenService, Caller } from '../api-tokens/api-token-service.js';
import { InvalidRequestError } from '../errors.js';
import { OwnerNames } from '../hygiene/owners.js';
import type { HygienePolicy, UnusedAction } from '../hygiene/policy.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface UnusedItem {
  id: string;
  name: string;
  user: string;
  username: string | null;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  /** Seconds since the last use (or the creation). */
  unused_for: number;
  /** When the `api_token.unused` warning for this stretch was sent; null when not yet (the job runs about every minute). */
  warned_at: string | null;
  action: UnusedAction;
  /** When the policy acts on it if it stays unused; null without a policy or before the warning. */
  action_at: string | null;
}

export interface ExpiringToken {
  id: string;
  name: string;
  scopes: string[];
  expires_at: string;
  /** Seconds left. */
  expires_in: number;
  last_used_at: string | null;
}

export interface ExpiringOwner {
  user: string;
  username: string | null;
  tokens: ExpiringToken[];
}

export class TokenReports {
  constructor(
    private readonly store: Store,
    private readonly apiTokens: ApiTokenService,
    private readonly policy: Pick<HygienePolicy, 'unusedAction' | 'unusedGrace'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Active tokens not used for `unusedFor` seconds, in id order. */
  async unused(filter: { user?: string | undefined }, unusedFor: number, page: PageRequest, caller: Pick<Caller, 'owner'> = {}) {
    const now = this.now();
    const list = await this.apiTokens.list({ user: filter.user, status: 'active', unused_for: unusedFor }, page, caller);
    const owners = new OwnerNames(this.store);
    const items = await Promise.all(list.items.map(async (t): Promise<UnusedItem> => {
      const since = t.last_used_at ?? t.created_at;
      const warned = await this.store.jobs.getMark(`unused:${t.id}:${since}`);
      const warnedAt = warned === null ? null : Number(warned);
      const acting = this.policy.unusedAction !== 'none' && warnedAt !== null;
      return {
        id: t.id, name: t.name, user: t.user_id, username: await owners.get(t.user_id), scopes: [...t.scopes],
        created_at: iso(t.created_at)!, last_used_at: iso(t.last_used_at), expires_at: iso(t.expires_at)!,
        unused_for: Math.floor((now - since) / 1000), warned_at: iso(warnedAt), action: this.policy.unusedAction,
        action_at: acting ? iso(warnedAt + this.policy.unusedGrace * 1000) : null,
      };
    }));
    return { unused_for: unusedFor, items, next_cursor: list.next_cursor };
  }

  /**
   * Active tokens expiring within `within` seconds, grouped by owner (owners
   * in the order of their first token to expire, each one's tokens soonest
   * first). Across all owners the store's expiry index is walked; for one
   * owner (a `user` filter, or self-service) that owner's tokens.
   */
  async expiring(filter: { user?: string | undefined }, within: number, page: PageRequest, caller: Pick<Caller, 'owner'> = {}) {
    const now = this.now();
    const until = now + within * 1000;
    let tokens: ApiTokenRecord[];
    let next: string | null;
    if (filter.user !== undefined || caller.owner !== undefined) {
      const list = await this.apiTokens.list({ user: filter.user, status: 'active', expiring_within: within }, page, caller);
      tokens = list.items;
      next = list.next_cursor;
    } else {
      const after = page.cursor === undefined ? now : indexCursor(page.cursor);
      const found = await this.store.apiTokens.expiringBetween(Math.max(after, now), until, page.limit);
      tokens = found.items;
      next = found.next === null ? null : encodeCursor(`e${found.next}`);
    }
    const owners = new OwnerNames(this.store);
    const groups = new Map<string, ExpiringOwner>();
    for (const t of [...tokens].sort((a, b) => a.expires_at - b.expires_at || compareIds(a.id, b.id))) {
      let group = groups.get(t.user_id);
      if (!group) {
        group = { user: t.user_id, username: await owners.get(t.user_id), tokens: [] };
        groups.set(t.user_id, group);
      }
      group.tokens.push({
        id: t.id, name: t.name, scopes: [...t.scopes], expires_at: iso(t.expires_at)!,
        expires_in: Math.max(0, Math.floor((t.expires_at - now) / 1000)), last_used_at: iso(t.last_used_at),
      });
    }
    return { within, until: iso(until)!, owners: [...groups.values()], next_cursor: next };
  }
}

/** The expiry-index cursor (`e<epoch ms>`) of a page across all owners. */
function indexCursor(cursor: string): number {
  const raw = decodeCursor(cursor);
  if (!/^e\d{1,15}$/.test(raw)) throw new InvalidRequestError('cursor is not valid');
  return Number(raw.slice(1));
}
