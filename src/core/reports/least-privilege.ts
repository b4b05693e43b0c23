/**
 * Least privilege: for each API token and client, the scopes it was
 * granted against the scopes it exercised within a window (from the usage
 * records: what resource servers said a request needed, what an exchange
 * asked for, what Tessera's own APIs required), and a one-call narrowing
 * to what was used. A scope is "used" when its last exercise falls in the
 * window; nothing recorded means no evidence, and narrowing to nothing is
 * refused (revoke instead).
 */
import type { Actor, ApiTokenRecord, ClientRecord, Page, PageRequest, Store, TokenUsage } from '../../store/store.js';
import { encodeCursor } from '../../store/cursor.js';
import type { AuditSink } from '../audit.js';
import type { ApiTokenService, Caller } from '../api-tokens/api-token-service.js';
import type { ClientService } from '../clients/client-service.js';
import { ConflictError } from '../errors.js';

export interface ScopeUse { scope: string; last_used_at: string }

export interface LeastPrivilegeItem {
  kind: 'api_token' | 'client';
  id: string;
  name: string;
  /** The owner (API tokens); null for clients. */
  user: string | null;
  granted: string[];
  /** Granted scopes exercised within the window, with their last exercise. */
  used: ScopeUse[];
  /** Granted scopes not exercised within the window: what narrowing would remove. */
  unused: string[];
  /** The last recorded use of any kind (an exchange, an introspection, a request at a resource server). */
  last_used_at: string | null;
}

export interface ReportWindow {
  /** Seconds. */
  window: number;
  /** The window's start (RFC 3339). */
  since: string;
}

export interface NarrowResult<T> { value: T; removed: string[]; window: number }

export const DEFAULT_WINDOW = 30 * 86_400;
export const MAX_WINDOW = 400 * 86_400;

/** A page of the report, plus the window it covers. */
export type LeastPrivilegePage = Page<LeastPrivilegeItem> & ReportWindow;

/** Reads per report page at most: tokens or clients beyond it wait for the next page. */
const MAX_SCAN = 1000;

function compare(kind: LeastPrivilegeItem['kind'], id: string, name: string, user: string | null, granted: readonly string[], usage: TokenUsage | null, since: number): LeastPrivilegeItem {
  const used: ScopeUse[] = [];
  const unused: string[] = [];
  for (const scope of granted) {
    const at = usage?.scopes[scope];
    if (at !== undefined && at >= since) used.push({ scope, last_used_at: new Date(at).toISOString() });
    else unused.push(scope);
  }
  return { kind, id, name, user, granted: [...granted], used, unused, last_used_at: usage ? new Date(usage.last_used_at).toISOString() : null };
}

export class LeastPrivilege {
  constructor(
    private readonly store: Store,
    private readonly apiTokens: ApiTokenService,
    private readonly clients: ClientService,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Active API tokens (of `user`, or of the caller's owner), in id order; `excessOnly` keeps those with unused scopes. */
  async apiTokenReport(filter: { user?: string | undefined; excessOnly: boolean }, window: number, page: PageRequest, caller: Pick<Caller, 'owner'> = {}): Promise<LeastPrivilegePage> {
    const since = this.now() - window * 1000;
    return this.scan(window, since, page, filter.excessOnly, async (cursor, limit) => {
      const batch = await this.apiTokens.list({ user: filter.user, status: 'active' }, { limit, cursor }, caller);
      const items = await Promise.all(batch.items.map((t) => this.apiTokenItem(t, since)));
      return { items, ids: batch.items.map((t) => t.id), next_cursor: batch.next_cursor };
    });
  }

  /** Clients, in id order, public ones included (their users' tokens exercise scopes too). */
  async clientReport(filter: { excessOnly: boolean }, window: number, page: PageRequest): Promise<LeastPrivilegePage> {
    const since = this.now() - window * 1000;
    return this.scan(window, since, page, filter.excessOnly, async (cursor, limit) => {
      const batch = await this.clients.list({ limit, cursor });
      const items = await Promise.all(batch.items.map((c) => this.clientItem(c, since)));
      return { items, ids: batch.items.map((c) => c.client_id), next_cursor: batch.next_cursor };
    });
  }

  /** Narrows an API token to the scopes it exercised within the window. */
  async narrowApiToken(id: string, window: number, caller: Caller): Promise<NarrowResult<ApiTokenRecord>> {
    const token = await this.apiTokens.get(id, caller);
    const item = await this.apiTokenItem(token, this.now() - window * 1000);
    if (item.used.length === 0) throw nothingUsed(window);
    const { record, removed } = await this.apiTokens.narrow(id, item.used.map((u) => u.scope), caller, { window });
    return { value: record, removed, window };
  }

  /** Narrows a client's scopes (and its default scopes with them) to the ones exercised within the window. */
  async narrowClient(clientId: string, window: number, actor: Actor): Promise<NarrowResult<ClientRecord>> {
    const client = await this.clients.get(clientId);
    const item = await this.clientItem(client, this.now() - window * 1000);
    if (item.used.length === 0) throw nothingUsed(window);
    if (item.unused.length === 0) return { value: client, removed: [], window };
    const keep = item.used.map((u) => u.scope);
    const narrowed = await this.clients.update(clientId, {
      scopes: keep,
      default_scopes: client.default_scopes === null ? null : client.default_scopes.filter((s) => keep.includes(s)),
    });
    this.audit.record({ type: 'client.narrowed', actor, subject: clientId, client_id: clientId, detail: { window, scopes: keep, removed: item.unused } });
    return { value: narrowed, removed: item.unused, window };
  }

  private async apiTokenItem(t: ApiTokenRecord, since: number): Promise<LeastPrivilegeItem> {
    return compare('api_token', t.id, t.name, t.user_id, t.scopes, await this.store.usage.get(`api_token:${t.id}`), since);
  }

  private async clientItem(c: ClientRecord, since: number): Promise<LeastPrivilegeItem> {
    return compare('client', c.client_id, c.name, null, c.scopes, await this.store.usage.get(`client:${c.client_id}`), since);
  }

  /**
   * Walks pages of the underlying list until `limit` items are kept (with
   * `excessOnly` many may be skipped), reading at most MAX_SCAN entries per
   * call; `next_cursor` resumes after the last entry read.
   */
  private async scan(
    window: number, since: number, page: PageRequest, excessOnly: boolean,
    next: (cursor: string | undefined, limit: number) => Promise<{ items: LeastPrivilegeItem[]; ids: string[]; next_cursor: string | null }>,
  ): Promise<LeastPrivilegePage> {
    const head = { window, since: new Date(since).toISOString() };
    const items: LeastPrivilegeItem[] = [];
    let cursor = page.cursor;
    for (let read = 0; read < MAX_SCAN;) {
      const batch = await next(cursor, page.limit);
      read += batch.ids.length;
      for (let i = 0; i < batch.items.length; i++) {
        const item = batch.items[i]!;
        if (excessOnly && item.unused.length === 0) continue;
        items.push(item);
        if (items.length === page.limit) {
          const more = i < batch.items.length - 1 || batch.next_cursor !== null;
          return { ...head, items, next_cursor: more ? encodeCursor(batch.ids[i]!) : null };
        }
      }
      if (batch.next_cursor === null) return { ...head, items, next_cursor: null };
      cursor = batch.next_cursor;
    }
    return { ...head, items, next_cursor: cursor ?? null };
  }
}

function nothingUsed(window: number): ConflictError {
  return new ConflictError(`none of its scopes was exercised in the last ${window} seconds: nothing to narrow to (revoke it instead, or report usage: see the docs)`);
}
