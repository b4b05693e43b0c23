/**
 * The events Tessera sends to webhook endpoints. Each is also an audit
 * event of the same name (or mapped from one: src/core/webhooks/audit-events.ts),
 * so what a webhook says can always be found in the audit log. Payloads
 * carry ids, names, scopes and times: never a secret, never a hash.
 */
export const WEBHOOK_EVENT_TYPES = [
  'api_token.created',
  'api_token.expiring',
  'api_token.expired',
  'api_token.unused',
  'api_token.revoked',
  'api_token.leaked',
  'api_token.suspicious_use',
  'refresh_token.reuse_detected',
  'refresh_token.leaked',
  'key.rotated',
  'client.secret_rotated',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only on request (POST /admin/v1/webhooks/{id}/test), to one endpoint, whatever it subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(t: string): t is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t);
}
