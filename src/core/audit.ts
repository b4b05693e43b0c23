/**
 * Audit events: who did what to which token. The sink is pluggable; the
 * store-backed log with its admin API arrives with the audit-log issue, and
 * until then events go to the structured log. Events never carry secrets,
 * only ids.
 */
import type { Logger } from 'pino';

export interface AuditEvent {
  type: string;
  actor?: { type: 'client' | 'user' | 'anonymous'; id: string | null };
  subject?: string | null;
  token_id?: string | null;
  client_id?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditSink {
  record(event: AuditEvent): void;
}

export class LogAuditSink implements AuditSink {
  constructor(private readonly logger: Logger) {}
  record(event: AuditEvent): void {
    this.logger.info({ audit: event }, event.type);
  }
}

/** Keeps events in memory; for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
}
