/**
 * Which audit events become webhook events, with what data: a whitelist per
 * type (an audit detail never reaches a receiver by accident), each result
 * valid against its schema under `webhooks` in openapi.yaml.
 */
import { toWebhookEvent } from '../../src/core/webhooks/audit-events.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/core/webhooks/event-types.js';
import { assertEventDocumented } from '../support/webhook-receiver.js';
import type { AuditEvent } from '../../src/core/audit.js';

const admin = { type: 'client', id: 'tessera-admin' } as const;
const envelope = (e: { type: string; data: Record<string, unknown> } | null) => ({ ...e!, timestamp: '2026-01-01T00:00:00.000Z' });

const CASES: Array<[AuditEvent, { type: string; data: Record<string, unknown> }]> = [
  [
    { type: 'api_token.created', actor: admin, subject: 'usr_1', token_id: 'tok_AAAAAAAAAAAAAAAA', detail: { name: 'ci', scopes: ['a:read'], expires_at: '2026-02-01T00:00:00.000Z', extra: 'not sent' } },
    { type: 'api_token.created', data: { token_id: 'tok_AAAAAAAAAAAAAAAA', user_id: 'usr_1', actor: admin, name: 'ci', scopes: ['a:read'], expires_at: '2026-02-01T00:00:00.000Z' } },
  ],
  [
    { type: 'api_token.revoked', actor: admin, subject: 'usr_1', token_id: 'tok_AAAAAAAAAAAAAAAA', detail: { reason: null } },
    { type: 'api_token.revoked', data: { token_id: 'tok_AAAAAAAAAAAAAAAA', user_id: 'usr_1', actor: admin, reason: null } },
  ],
  [
    { type: 'token.leak_reported', actor: { type: 'anonymous', id: null }, subject: 'usr_1', token_id: 'tok_AAAAAAAAAAAAAAAA', detail: { kind: 'api_token', ip: '192.0.2.1', source: 'https://example.com/x' } },
    { type: 'api_token.leaked', data: { token_id: 'tok_AAAAAAAAAAAAAAAA', user_id: 'usr_1', source: 'https://example.com/x' } },
  ],
  [
    { type: 'token.leak_reported', subject: 'usr_1', token_id: 'fam-1', client_id: 'web', detail: { kind: 'refresh_token', ip: '192.0.2.1', source: null } },
    { type: 'refresh_token.leaked', data: { family_id: 'fam-1', user_id: 'usr_1', client_id: 'web', source: null } },
  ],
  [
    { type: 'refresh_token.reuse_detected', actor: { type: 'client', id: 'web' }, subject: 'usr_1', token_id: 'fam-1', client_id: 'web', detail: { revoked_access_tokens: 2 } },
    { type: 'refresh_token.reuse_detected', data: { family_id: 'fam-1', user_id: 'usr_1', client_id: 'web', revoked_access_tokens: 2 } },
  ],
  [
    { type: 'key.rotated', actor: admin, subject: 'k2', detail: { active: 'A'.repeat(43), next: 'B'.repeat(43), retired: 'C'.repeat(43) } },
    { type: 'key.rotated', data: { actor: admin, active: 'A'.repeat(43), next: 'B'.repeat(43), retired: 'C'.repeat(43) } },
  ],
  [
    { type: 'client.secret_rotated', actor: admin, subject: 'svc', client_id: 'svc' },
    { type: 'client.secret_rotated', data: { client_id: 'svc', actor: admin } },
  ],
];

test.each(CASES)('%j is sent as the documented event', (audit, expected) => {
  const out = toWebhookEvent(audit);
  expect(out).toEqual(expected);
  expect(() => assertEventDocumented(envelope(out))).not.toThrow();
});

test('audit events that are not webhook events send nothing', () => {
  for (const type of ['token.issued', 'api_token.used', 'api_token.refused', 'login.failed', 'client.created', 'webhook.created', 'rate_limit.hit']) {
    expect(toWebhookEvent({ type })).toBeNull();
  }
});

test('every event type a subscriber may choose is documented under webhooks, and a payload off its schema is caught', () => {
  for (const type of WEBHOOK_EVENT_TYPES) expect(() => assertEventDocumented({ type, timestamp: '2026-01-01T00:00:00.000Z', data: {} })).toThrow(/does not match openapi\.yaml/);
  expect(() => assertEventDocumented({ type: 'token.issued', timestamp: '2026-01-01T00:00:00.000Z', data: {} })).toThrow(/not documented/);
  const good = envelope(toWebhookEvent(CASES[0]![0]));
  expect(() => assertEventDocumented({ ...good, data: { ...good.data, secret: 'x' } })).toThrow(/does not match/);
});
