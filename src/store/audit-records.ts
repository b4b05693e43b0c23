/**
 * The audit log: append-only, newest entries kept for a retention period.
 * Entries carry ids and never secrets. Ids are Redis stream ids
 * (`<epoch ms>-<seq>`), increasing, in both stores.
 */
import type { Actor } from './api-token-records.js';
import type { Page } from './store.js';
import type { PeekThenTake, StepLimits } from './rate-limit-records.js';

export interface AuditRecord {
  id: string;
  /** RFC 3339. */
  time: string;
  type: string;
  actor: Actor | null;
  subject: string | null;
  token_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  route: string | null;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string | undefined;
  subject?: string | undefined;
  token_id?: string | undefined;
  type?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
  /** Leave out admin logins: `token.issued` events of tokens with the scope `tessera:admin` (the CLI logs in at every command). */
  exclude_admin_logins?: boolean | undefined;
}

export interface AuditQuery {
  filter: AuditFilter;
  order: 'asc' | 'desc';
  limit: number;
  /** Exclusive: the id of the last entry of the previous page. */
  after?: string | undefined;
  /** How many entries one call may read before it answers a short page. */
  scanLimit: number;
}

export interface AuditLog {
  /**
   * Appends; entries older than `retentionMs` are trimmed in the same step. Returns the new id.
   * `durable`: the event of an admin action, confirmed like the action's own write (a replica has it, where WAIT applies).
   */
  append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, options?: { durable?: boolean }): Promise<string>;
  /**
   * rate-limit peek-then-take (RateLimiter.peek with `then`) and, only when
   * both allow, append() (not durable): one atomic store step, so that the
   * commonest issuance (client credentials for a client whose record the
   * process holds) costs one store command, its audit entry included.
   * Absent where the counters and the log cannot be one step (a Redis
   * Cluster: different slots). `id` is null when a limit refused (nothing
   * appended), and the store's error when the entry alone was refused (the
   * counters stand).
   */
  appendLimited?(limits: StepLimits, entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number): Promise<{ limits: PeekThenTake; id: string | Error | null }>;
  /**
   * append() (not durable) for a caller that needs no id and no promise:
   * `settled` is called once the entry is stored, with null, or with the
   * error that kept it out. Ordered with append() as append() calls are
   * among themselves. The way fire-and-forget audit events are written
   * (StoreAuditSink.record), at a fraction of a promise chain's cost.
   * `settled` must not throw (it runs where a throw would be an unhandled
   * rejection).
   */
  appendLater(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, settled: (err: unknown) => void): void;
  /** Entries matching the filter, in order; `next_cursor` is the last id read (not only returned) when more may follow. */
  query(q: AuditQuery): Promise<Page<AuditRecord>>;
  /**
   * The deployment's key for fingerprints of claimed identifiers
   * (src/core/claimed-identifiers.ts): `candidate` (base64url) is kept when
   * there is none yet, so every instance reads the same key ever after.
   */
  fingerprintKey(candidate: string): Promise<string>;
}

const isAdminLogin = (r: AuditRecord): boolean =>
  r.type === 'token.issued' && typeof r.detail.scope === 'string' && r.detail.scope.split(' ').includes('tessera:admin');

export function matchesAudit(r: AuditRecord, f: AuditFilter): boolean {
  return (f.actor === undefined || r.actor?.id === f.actor)
    && (f.subject === undefined || r.subject === f.subject)
    && (f.token_id === undefined || r.token_id === f.token_id)
    && (f.type === undefined || r.type === f.type)
    && !(f.exclude_admin_logins === true && isAdminLogin(r));
}
