/**
 * A user's sessions: the live refresh-token families issued to them (one per
 * sign-in of an app that stays signed in). A person or an admin sees each
 * one (which app, when it began, when it was last refreshed) and ends it
 * alone, without cutting off everything else the user holds.
 */
import type { Actor, Page, PageRequest, RefreshSession, Store } from '../../store/store.js';
import { decodeCursor, encodeCursor } from '../../store/cursor.js';
import type { AuditSink } from '../audit.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';

/** The newest sessions a list reads; a user rarely has more than a handful. */
export const MAX_LISTED_SESSIONS = 1000;

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionView {
  id: string;
  client_id: string;
  client_name: string | null;
  scopes: string[];
  created_at: string;
  last_refreshed_at: string | null;
  expires_at: string;
  /** When the user signed in (RFC 3339); refreshes keep it. */
  authenticated_at: string;
}

/** Keyset cursor over the newest-first order: the last item's start and id. */
function cursorOf(s: RefreshSession): string {
  return encodeCursor(`${s.family.created_at}:${s.family.family_id}`);
}

function after(cursor: string): { createdAt: number; id: string } {
  const m = /^(\d{1,16}):(.+)$/.exec(decodeCursor(cursor));
  if (!m) throw new InvalidRequestError('cursor is not valid');
  return { createdAt: Number(m[1]), id: m[2]! };
}

export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly refresh: RefreshTokenService,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Newest first, paged by a keyset cursor so a session ended meanwhile never shifts a page. */
  async list(userId: string, page: PageRequest): Promise<Page<RefreshSession>> {
    const from = page.cursor === undefined ? undefined : after(page.cursor);
    let sessions = await this.live(userId, await this.store.refreshTokens.listFamilies(userId, this.now(), MAX_LISTED_SESSIONS));
    if (from) {
      sessions = sessions.filter((s) => s.family.created_at < from.createdAt || (s.family.created_at === from.createdAt && s.family.family_id < from.id));
    }
    // Same-millisecond starts are ordered by id, so the cursor's order is total.
    sessions.sort((a, b) => b.family.created_at - a.family.created_at || (a.family.family_id < b.family.family_id ? 1 : -1));
    const items = sessions.slice(0, page.limit);
    const last = items[items.length - 1];
    return { items, next_cursor: sessions.length > page.limit && last ? cursorOf(last) : null };
  }

  /**
   * Families that still work: revoke-tokens (and disabling) end a user's
   * families by a cut-off checked at the next refresh, not by touching each
   * one, so a list leaves out those started before it.
   */
  private async live(userId: string, sessions: RefreshSession[]): Promise<RefreshSession[]> {
    if (sessions.length === 0) return sessions;
    const user = await this.store.users.get(userId);
    if (!user) return [];
    const cutoff = user.tokens_revoked_at === null ? null : Date.parse(user.tokens_revoked_at);
    return cutoff === null ? sessions : sessions.filter((s) => s.family.created_at > cutoff);
  }

  /** Ends one of the user's sessions and the access tokens it issued; another user's session is as absent as an unknown one. */
  async revoke(userId: string, sessionId: string, actor: Actor): Promise<RefreshSession> {
    const found = SESSION_ID.test(sessionId) ? await this.store.refreshTokens.getFamily(sessionId, this.now()) : null;
    const [session] = found && found.family.user_id === userId ? await this.live(userId, [found]) : [];
    if (!session) throw new NotFoundError('session does not exist');
    await this.refresh.revokeFamily(sessionId);
    this.audit.record({ type: 'session.revoked', actor, subject: userId, token_id: sessionId, client_id: session.family.client_id });
    return session;
  }

  /** What the API shows; client names are looked up once per client. */
  async views(sessions: readonly RefreshSession[]): Promise<SessionView[]> {
    const ids = [...new Set(sessions.map((s) => s.family.client_id))];
    const clients = await Promise.all(ids.map((id) => this.store.clients.get(id)));
    const names = new Map(ids.map((id, i) => [id, clients[i]?.name ?? null]));
    const iso = (ms: number) => new Date(ms).toISOString();
    return sessions.map(({ family: f, last_refreshed_at }) => ({
      id: f.family_id,
      client_id: f.client_id,
      client_name: names.get(f.client_id) ?? null,
      scopes: [...f.scopes],
      created_at: iso(f.created_at),
      last_refreshed_at: last_refreshed_at === null ? null : iso(last_refreshed_at),
      expires_at: iso(f.expires_at),
      authenticated_at: iso(f.auth_time * 1000),
    }));
  }
}
