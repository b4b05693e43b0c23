/**
 * Audit events: who did what to which token. Events carry ids, never
 * secrets. The request they happen in (address, user agent, request id,
 * route) is taken from the request context, so callers name only what the
 * event is about. Writing is fire-and-forget (an audit write that fails
 * is logged, and never undoes or fails the request's own effect), except
 * within an admin action: there the request context collects the writes
 * (`auditWrites`) and the answer waits for them (src/http/audited-actions.ts),
 * so an action is never acknowledged without its event.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Actor, AuditLog, AuditRecord, PeekThenTake, StepLimits } from '../store/store.js';
import type { SkippedWrites } from './outage-log.js';

export interface AuditEvent {
  type: string;
  actor?: Actor;
  subject?: string | null;
  token_id?: string | null;
  client_id?: string | null;
  detail?: Record<string, unknown>;
}

/** What the HTTP layer knows of the request an event happens in. */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** `METHOD /path` as routed, e.g. `POST /admin/v1/api-tokens`. */
  route: string;
  /** Rate limits applied to this request so far (for the RateLimit headers). */
  limits?: Array<import('./rate-limits.js').AppliedLimit>;
  /** The client the request authenticated as, or whose access token it carried (for the request log). */
  clientId?: string;
  /** The jti of the access token the request used or was issued, or the id of the API token it used (for the request log). */
  tokenId?: string;
  /**
   * Set for admin actions: every audit write of the request is collected
   * here, written durably, and the answer is sent only once they are.
   */
  auditWrites?: Array<Promise<unknown>>;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export interface AuditSink {
  record(event: AuditEvent): void;
  /**
   * record() within the token endpoint's rate limits, in one store command
   * (AuditLog.appendLimited): the event is recorded only when both limits
   * allow, and the limits' outcome is answered. Present only where that
   * is one command (a single Redis); never within an admin action (whose
   * events are written durably, apart). A failed write of the event alone
   * is handled as record() handles it: it does not fail the request.
   */
  recordLimited?(event: AuditEvent, limits: StepLimits): Promise<PeekThenTake>;
}

export class LogAuditSink implements AuditSink {
  constructor(private readonly logger: Logger) {}
  record(event: AuditEvent): void {
    this.logger.info({ audit: event }, event.type);
  }
}

/** Appends to the store's audit log (a Redis Stream in production). */
export class StoreAuditSink implements AuditSink {
  /** The durable writes of admin actions not settled yet. */
  readonly #pending = new Set<Promise<void>>();
  /** Fire-and-forget writes not settled yet (AuditLog.appendLater), and the flush() calls waiting for none to be left. */
  #inFlight = 0;
  #drained: Array<() => void> = [];

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
    /** When given, failed writes are counted in its outage summary (and logged one by one at debug only). */
    private readonly failures?: SkippedWrites,
  ) {
    if (log.appendLimited) this.recordLimited = (event, limits) => this.#recordLimited(event, limits);
  }

  record(event: AuditEvent): void {
    const ctx = requestContext.getStore();
    const at = this.now();
    if (ctx?.auditWrites) {
      // An admin action waits for its events, written durably.
      const appended = this.log.append(entryOf(event, ctx, at), at, this.retentionMs, { durable: true });
      ctx.auditWrites.push(appended);
      const write = appended.then(() => undefined, (err: unknown) => this.#failed(err, event));
      this.#pending.add(write);
      void write.finally(() => this.#pending.delete(write));
      return;
    }
    // Everything else is fire-and-forget: no promise per event, only a count for flush().
    this.#inFlight++;
    const settled = (err: unknown): void => {
      if (err !== null) this.#failed(err, event);
      if (--this.#inFlight === 0) for (const wake of this.#drained.splice(0)) wake();
    };
    try {
      this.log.appendLater(entryOf(event, ctx, at), at, this.retentionMs, settled);
    } catch (err) {
      // An entry that cannot even be sent (its detail not serializable) fails as a write does, never the request.
      settled(err);
    }
  }

  /** See AuditSink.recordLimited: set in the constructor when the log can append within the limits (AuditLog.appendLimited). */
  readonly recordLimited?: (event: AuditEvent, limits: StepLimits) => Promise<PeekThenTake>;

  async #recordLimited(event: AuditEvent, limits: StepLimits): Promise<PeekThenTake> {
    const at = this.now();
    const { limits: counted, id } = await this.log.appendLimited!(limits, entryOf(event, requestContext.getStore(), at), at, this.retentionMs);
    if (id instanceof Error) this.#failed(id, event);
    return counted;
  }

  #failed(err: unknown, event: AuditEvent): void {
    const line = { err: String(err), audit: event.type, token_id: event.token_id ?? null };
    if (!this.failures) return this.logger.error(line, 'audit write failed');
    this.failures.skipped(err, 'audit');
    this.logger.debug(line, 'audit write failed');
  }

  /**
   * Resolves once every write started so far has settled (tests, shutdown):
   * the durable ones, each awaited, and the fire-and-forget ones once none
   * is left in flight (later ones may make it wait longer, never shorter).
   */
  async flush(): Promise<void> {
    const fireAndForget = this.#inFlight > 0 ? new Promise<void>((resolve) => this.#drained.push(resolve)) : undefined;
    await Promise.all([...this.#pending, fireAndForget]);
  }
}

/** The stored entry of `event`, recorded at `at` in the request `ctx`. */
function entryOf(event: AuditEvent, ctx: RequestContext | undefined, at: number): Omit<AuditRecord, 'id'> {
  return {
    time: new Date(at).toISOString(),
    type: event.type,
    actor: event.actor ?? null,
    subject: event.subject ?? null,
    token_id: event.token_id ?? null,
    client_id: event.client_id ?? null,
    ip: ctx?.ip ?? null,
    user_agent: ctx?.userAgent?.slice(0, 300) ?? null,
    request_id: ctx?.requestId ?? null,
    route: ctx?.route ?? null,
    detail: event.detail ?? {},
  };
}

/**
 * Sends every event to several sinks (the store, metrics, webhooks, and a
 * test's memory sink). recordLimited() is offered when exactly one sink
 * offers it (the store's): the others record the event once both limits
 * allowed, as they would have recorded it after the usual way's counters.
 */
export class TeeAuditSink implements AuditSink {
  readonly recordLimited?: (event: AuditEvent, limits: StepLimits) => Promise<PeekThenTake>;

  constructor(private readonly sinks: readonly AuditSink[]) {
    const limited = sinks.filter((s) => s.recordLimited);
    if (limited.length !== 1) return;
    const one = limited[0]!;
    const others = sinks.filter((s) => s !== one);
    this.recordLimited = async (event, limits) => {
      const counted = await one.recordLimited!(event, limits);
      if (counted.peeked.allowed && counted.taken?.allowed) for (const s of others) s.record(event);
      return counted;
    };
  }

  record(event: AuditEvent): void {
    for (const s of this.sinks) s.record(event);
  }
}

/** Keeps events in memory; for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
}
