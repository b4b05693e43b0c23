/**
 * Counts the audit events that are also operational signals (issuance,
 * reuse detections, rate-limit refusals). Tee'd beside the audit log in
 * src/server.ts, so the core records each fact once and knows nothing of
 * metrics.
 */
import type { AuditEvent, AuditSink } from '../audit.js';
import type { TesseraMetrics } from './metrics.js';

export class MetricsAuditSink implements AuditSink {
  constructor(private readonly metrics: TesseraMetrics) {}

  record(event: AuditEvent): void {
    switch (event.type) {
      case 'token.issued': {
        const grant = event.detail?.grant_type;
        this.metrics.tokensIssued.labels(typeof grant === 'string' ? grant : 'unknown', event.client_id ?? 'unknown').inc();
        return;
      }
      case 'refresh_token.reuse_detected':
        this.metrics.refreshTokenReuse.inc();
        return;
      case 'authorization_code.reuse_detected':
        this.metrics.authorizationCodeReuse.inc();
        return;
      case 'rate_limit.hit': {
        const policy = event.detail?.policy;
        this.metrics.rateLimitRefusals.labels(typeof policy === 'string' ? policy : 'unknown').inc();
        return;
      }
      case 'key.rotated':
        this.metrics.keyRotations.labels(event.detail?.trigger === 'schedule' ? 'schedule' : 'manual').inc();
        return;
      default:
    }
  }
}
