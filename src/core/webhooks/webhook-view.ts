import type { Actor, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../store/store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the admin API shows of an endpoint: never its secret, which is shown once at create and rotate. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  event_types: string[] | null;
  disabled: boolean;
  created_at: string;
  created_by: Actor;
  updated_at: string;
  secret_rotated_at: string | null;
  previous_secret_expires_at: string | null;
}

export function toWebhookView(e: WebhookEndpointRecord, nowMs: number): WebhookEndpointView {
  const overlap = e.previous_secret !== null && e.previous_expires_at !== null && e.previous_expires_at > nowMs;
  return {
    id: e.id, url: e.url, description: e.description, event_types: e.event_types ? [...e.event_types] : null, disabled: e.disabled,
    created_at: iso(e.created_at)!, created_by: { ...e.created_by }, updated_at: iso(e.updated_at)!,
    secret_rotated_at: iso(e.secret_rotated_at), previous_secret_expires_at: overlap ? iso(e.previous_expires_at) : null,
  };
}

export interface WebhookDeliveryView {
  id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  state: WebhookDeliveryRecord['state'];
  attempts: number;
  created_at: string;
  /** Pending: when the next attempt is due. */
  next_attempt_at: string | null;
  /** Dead: when it was given up. */
  dead_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  /** The event as sent (`{type, timestamp, data}`). */
  payload: unknown;
}

export function toDeliveryView(d: WebhookDeliveryRecord): WebhookDeliveryView {
  return {
    id: d.id, endpoint_id: d.endpoint_id, message_id: d.message_id, event_type: d.event_type, state: d.state, attempts: d.attempts,
    created_at: iso(d.created_at)!,
    next_attempt_at: d.state === 'pending' ? iso(d.next_attempt_at) : null,
    dead_at: d.state === 'dead' ? iso(d.next_attempt_at) : null,
    last_attempt_at: iso(d.last_attempt_at), last_status: d.last_status, last_error: d.last_error,
    payload: JSON.parse(d.payload) as unknown,
  };
}
