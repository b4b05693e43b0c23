/**
 * Which audit events go out as webhook events, and with what data. The
 * core records each fact once, as an audit event; this sink (tee'd beside
 * the audit log in src/server.ts) publishes the ones subscribers care about.
 * Data is built from a whitelist per type, so an audit detail added later
 * never reaches a receiver by accident.
 */
import type { AuditEvent, AuditSink } from '../audit.js';
import type { EventToPublish, WebhookPublisher } from './publisher.js';

type Detail = Record<string, unknown>;

function pick(detail: Detail | undefined, keys: readonly string[]): Detail {
  const out: Detail = {};
  for (const k of keys) if (detail?.[k] !== undefined) out[k] = detail[k];
  return out;
}

/** The API-token events Tessera's own policies record: their detail is made for receivers. */
const POLICY_EVENTS = new Set(['api_token.expiring', 'api_token.expired', 'api_token.unused', 'api_token.suspicious_use']);

export function toWebhookEvent(e: AuditEvent): EventToPublish | null {
  const actor = e.actor ?? null;
  const token = { token_id: e.token_id ?? null, user_id: e.subject ?? null };
  if (POLICY_EVENTS.has(e.type)) return { type: e.type, data: { ...token, ...e.detail } };
  switch (e.type) {
    case 'api_token.created':
      return { type: e.type, data: { ...token, actor, ...pick(e.detail, ['name', 'scopes', 'expires_at']) } };
    case 'api_token.revoked':
      return { type: e.type, data: { ...token, actor, ...pick(e.detail, ['reason']) } };
    case 'token.leak_reported':
      if (e.detail?.kind === 'api_token') return { type: 'api_token.leaked', data: { ...token, ...pick(e.detail, ['source', 'reporter']) } };
      return {
        type: 'refresh_token.leaked',
        data: { family_id: e.token_id ?? null, user_id: e.subject ?? null, client_id: e.client_id ?? null, ...pick(e.detail, ['source', 'reporter']) },
      };
    case 'refresh_token.reuse_detected':
      return {
        type: e.type,
        data: { family_id: e.token_id ?? null, user_id: e.subject ?? null, client_id: e.client_id ?? null, ...pick(e.detail, ['revoked_access_tokens']) },
      };
    case 'key.rotated':
      return { type: e.type, data: { actor, ...pick(e.detail, ['active', 'next', 'retired', 'trigger']) } };
    case 'client.secret_rotated':
      return { type: e.type, data: { client_id: e.client_id ?? e.subject ?? null, actor } };
    default:
      return null;
  }
}

export class WebhookAuditSink implements AuditSink {
  constructor(private readonly publisher: WebhookPublisher) {}

  record(event: AuditEvent): void {
    const out = toWebhookEvent(event);
    if (out) this.publisher.publish(out);
  }
}
