/** How the CLI prints webhook endpoints and dead letters for people (types generated from openapi.yaml). */
import type { Schema } from './api-types.js';
import { actorCell, describe, joined, secretLines, table, type Field } from './output.js';

export type WebhookEndpoint = Schema<'WebhookEndpoint'>;
export type WebhookEndpointWithSecret = Schema<'WebhookEndpointWithSecret'>;
export type WebhookDelivery = Schema<'WebhookDelivery'>;

const events = (e: WebhookEndpoint) => joined(e.event_types) ?? 'all';

const FIELDS: Field<WebhookEndpoint>[] = [
  ['id', (e) => e.id],
  ['url', (e) => e.url],
  ['description', (e) => e.description],
  ['event_types', events],
  ['disabled', (e) => (e.disabled ? 'yes' : 'no')],
  ['created_at', (e) => e.created_at],
  ['created_by', (e) => actorCell(e.created_by)],
  ['updated_at', (e) => e.updated_at],
  ['secret_rotated_at', (e) => e.secret_rotated_at],
  ['previous_secret_expires_at', (e) => e.previous_secret_expires_at],
];

export const endpointLines = (e: WebhookEndpoint): string[] => describe(e, FIELDS, ['secret']);

export function endpointTable(items: WebhookEndpoint[]): string[] {
  return table(['ID', 'URL', 'EVENTS', 'DISABLED'], items.map((e) => [e.id, e.url, events(e), e.disabled ? 'yes' : 'no']));
}

/** An endpoint with its new secret (create, rotate-secret): the fields, then the secret once with its warning. */
export function endpointWithSecretLines(e: WebhookEndpointWithSecret): string[] {
  const lines = [...endpointLines(e), ...secretLines('secret', e.secret)];
  if (e.previous_secret_expires_at) lines.push(`The previous secret signs too until ${e.previous_secret_expires_at}.`);
  return lines;
}

const DELIVERY_FIELDS: Field<WebhookDelivery>[] = [
  ['id', (d) => d.id],
  ['endpoint_id', (d) => d.endpoint_id],
  ['message_id', (d) => d.message_id],
  ['event_type', (d) => d.event_type],
  ['state', (d) => d.state],
  ['attempts', (d) => d.attempts],
  ['created_at', (d) => d.created_at],
  ['next_attempt_at', (d) => d.next_attempt_at],
  ['dead_at', (d) => d.dead_at],
  ['last_attempt_at', (d) => d.last_attempt_at],
  ['last_status', (d) => d.last_status],
  ['last_error', (d) => d.last_error],
];

export const deliveryLines = (d: WebhookDelivery): string[] => describe(d, DELIVERY_FIELDS, ['payload']);

export function deliveryTable(items: WebhookDelivery[]): string[] {
  return table(['ID', 'ENDPOINT', 'EVENT', 'ATTEMPTS', 'DEAD AT', 'LAST ERROR'],
    items.map((d) => [d.id, d.endpoint_id, d.event_type, d.attempts, d.dead_at, d.last_error]));
}
