/**
 * Webhooks: the endpoints events are sent to, and the durable delivery
 * queue every instance works from. A delivery is one event for one
 * endpoint; it is pending (due at `next_attempt_at`) until it is delivered
 * (then it is dropped) or has failed every attempt (then it is kept on the
 * dead-letter list for a retention period, from where it can be sent again).
 *
 * Claiming leases a due delivery to one instance for a while (its due time
 * moves to the end of the lease), so that two instances never send it at
 * once and one that dies mid-send leaves it to be claimed again: delivery is
 * at least once, and the `webhook-id` (the message id) lets receivers drop
 * duplicates, as the Standard Webhooks specification expects.
 */
import type { Actor } from './api-token-records.js';
import type { Page, PageRequest } from './store.js';

export interface WebhookEndpointRecord {
  /** `whe_...`; not secret. */
  id: string;
  url: string;
  description: string | null;
  /** The event types sent there; null means every type, present and future. */
  event_types: string[] | null;
  disabled: boolean;
  /**
   * The signing secret (`whsec_...`), sealed when TESSERA_KEYS_PASSPHRASE is
   * set. Stored, not hashed: signing needs the secret itself.
   */
  secret: string;
  /** The secret before the last rotation, still signing alongside the new one until `previous_expires_at`. */
  previous_secret: string | null;
  /** Epoch ms; null when no overlap is running. */
  previous_expires_at: number | null;
  created_at: number;
  created_by: Actor;
  updated_at: number;
  secret_rotated_at: number | null;
}

export type WebhookDeliveryState = 'pending' | 'dead';

export interface WebhookDeliveryRecord {
  /** `whd_<created, base36><random>`: sorts by creation time. */
  id: string;
  endpoint_id: string;
  /** `msg_...`: the event's id, sent as `webhook-id`; the same for every endpoint and every attempt. */
  message_id: string;
  event_type: string;
  /** The exact JSON body that is signed and sent. */
  payload: string;
  created_at: number;
  state: WebhookDeliveryState;
  /** Attempts made so far. */
  attempts: number;
  /** Pending: when the next attempt is due. Dead: when it was given up. Epoch ms. */
  next_attempt_at: number;
  last_attempt_at: number | null;
  /** HTTP status of the last attempt; null when there was no answer (refused, timed out). */
  last_status: number | null;
  last_error: string | null;
}

export interface WebhookRepository {
  /** False when the id is taken. */
  createEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
  /** Replaces an existing endpoint; false when there is none. */
  replaceEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean>;
  deleteEndpoint(id: string): Promise<boolean>;
  /** Ordered by id; same cursor format as the other lists. */
  listEndpoints(page: PageRequest): Promise<Page<WebhookEndpointRecord>>;
  countEndpoints(): Promise<number>;

  /** Adds pending deliveries, each due at its `next_attempt_at`. */
  enqueue(deliveries: readonly WebhookDeliveryRecord[]): Promise<void>;
  /**
   * Up to `limit` pending deliveries due at `nowMs`, oldest due first, each
   * leased to the caller until `nowMs + leaseMs` (no other claim gets it
   * before then).
   */
  claim(nowMs: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]>;
  /** Stores a failed attempt and when the next one is due; false when the delivery is gone. */
  retry(delivery: WebhookDeliveryRecord): Promise<boolean>;
  /** Delivered: the delivery is dropped. */
  delivered(id: string): Promise<void>;
  /** Every attempt failed: moves it to the dead-letter list, kept until `keepUntilMs`. */
  deadLetter(delivery: WebhookDeliveryRecord, keepUntilMs: number): Promise<void>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | null>;
  /** Dead letters by delivery id (creation order); with `endpointId`, that endpoint's only. */
  listDead(filter: { endpointId?: string | undefined }, page: PageRequest): Promise<Page<WebhookDeliveryRecord>>;
  /**
   * Takes a dead letter off the list and queues it again, due at `nowMs`,
   * with its attempts counted from zero. Null when it is not a dead letter
   * (unknown, expired, or already sent again).
   */
  redeliver(id: string, nowMs: number): Promise<WebhookDeliveryRecord | null>;
  /** Pending and dead deliveries right now (for /metrics). */
  counts(): Promise<{ pending: number; dead: number }>;
}
