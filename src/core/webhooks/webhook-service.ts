/**
 * Webhook endpoints (admin API and CLI): create with a signing secret shown
 * once, update, delete, rotate the secret with an optional overlap, send a
 * test event, and the dead-letter list with redelivery. Every change is an
 * audit event; no secret ever is.
 */
import type { Actor, Page, PageRequest, Store, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import type { AtRestSecrets } from '../crypto/at-rest.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { stripUndefined } from '../objects.js';
import { TEST_EVENT_TYPE } from './event-types.js';
import { DELIVERY_ID, ENDPOINT_ID, newEndpointId } from './ids.js';
import { MAX_ENDPOINTS, type Published, type WebhookPublisher } from './publisher.js';
import { generateWebhookSecret } from './signature.js';
import type { WebhookCreateInput, WebhookUpdateInput } from './webhook-input.js';

/** The answers to create and rotate: the endpoint and its secret, this once. */
export interface EndpointWithSecret { endpoint: WebhookEndpointRecord; secret: string }

export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly secrets: AtRestSecrets,
    private readonly publisher: WebhookPublisher,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: WebhookCreateInput, actor: Actor): Promise<EndpointWithSecret> {
    if (await this.store.webhooks.countEndpoints() >= MAX_ENDPOINTS) {
      throw new ConflictError(`at most ${MAX_ENDPOINTS} webhook endpoints; delete one first`);
    }
    const now = this.now();
    const secret = generateWebhookSecret();
    const endpoint: WebhookEndpointRecord = {
      id: newEndpointId(), url: input.url, description: input.description ?? null, event_types: input.event_types ? [...new Set(input.event_types)] : null,
      disabled: input.disabled ?? false, secret: this.secrets.seal(secret), previous_secret: null, previous_expires_at: null,
      created_at: now, created_by: actor, updated_at: now, secret_rotated_at: null,
    };
    if (!(await this.store.webhooks.createEndpoint(endpoint))) throw new ConflictError('could not allocate an endpoint id; retry');
    this.audit.record({ type: 'webhook.created', actor, subject: endpoint.id, detail: { url: endpoint.url, event_types: endpoint.event_types } });
    return { endpoint, secret };
  }

  async get(id: string): Promise<WebhookEndpointRecord> {
    const endpoint = ENDPOINT_ID.test(id) ? await this.store.webhooks.getEndpoint(id) : null;
    if (!endpoint) throw new NotFoundError('webhook endpoint does not exist');
    return endpoint;
  }

  list(page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
    return this.store.webhooks.listEndpoints(page);
  }

  async update(id: string, patch: WebhookUpdateInput, actor: Actor): Promise<WebhookEndpointRecord> {
    const current = await this.get(id);
    const given = stripUndefined(patch);
    const next: WebhookEndpointRecord = {
      ...current, ...given,
      event_types: patch.event_types === undefined ? current.event_types : patch.event_types && [...new Set(patch.event_types)],
      updated_at: this.now(),
    };
    if (!(await this.store.webhooks.replaceEndpoint(next))) throw new NotFoundError('webhook endpoint does not exist');
    this.audit.record({ type: 'webhook.updated', actor, subject: id, detail: { fields: Object.keys(given) } });
    return next;
  }

  async delete(id: string, actor: Actor): Promise<void> {
    if (!ENDPOINT_ID.test(id) || !(await this.store.webhooks.deleteEndpoint(id))) throw new NotFoundError('webhook endpoint does not exist');
    this.audit.record({ type: 'webhook.deleted', actor, subject: id });
  }

  /** A new secret; the old one keeps signing alongside it for `graceSeconds`, so receivers can switch without a gap. */
  async rotateSecret(id: string, graceSeconds: number, actor: Actor): Promise<EndpointWithSecret> {
    const current = await this.get(id);
    const now = this.now();
    const secret = generateWebhookSecret();
    const next: WebhookEndpointRecord = {
      ...current, secret: this.secrets.seal(secret),
      previous_secret: graceSeconds > 0 ? current.secret : null,
      previous_expires_at: graceSeconds > 0 ? now + graceSeconds * 1000 : null,
      secret_rotated_at: now, updated_at: now,
    };
    if (!(await this.store.webhooks.replaceEndpoint(next))) throw new NotFoundError('webhook endpoint does not exist');
    this.audit.record({ type: 'webhook.secret_rotated', actor, subject: id, detail: { grace_period: graceSeconds } });
    return { endpoint: next, secret };
  }

  /** Queues a `webhook.test` event for this endpoint alone, whatever it subscribed to (a disabled one included: the attempt then fails visibly). */
  async test(id: string, actor: Actor): Promise<Published> {
    const endpoint = await this.get(id);
    const published = await this.publisher.publishTo(endpoint, { type: TEST_EVENT_TYPE, data: { endpoint_id: id } });
    this.audit.record({ type: 'webhook.tested', actor, subject: id, detail: { message_id: published.message_id } });
    return published;
  }

  async listDead(filter: { endpointId?: string | undefined }, page: PageRequest): Promise<Page<WebhookDeliveryRecord>> {
    if (filter.endpointId !== undefined && !ENDPOINT_ID.test(filter.endpointId)) return { items: [], next_cursor: null };
    return this.store.webhooks.listDead(filter, page);
  }

  /** Sends a dead letter again from its first attempt, on the full retry schedule. */
  async redeliver(deliveryId: string, actor: Actor): Promise<WebhookDeliveryRecord> {
    const again = DELIVERY_ID.test(deliveryId) ? await this.store.webhooks.redeliver(deliveryId, this.now()) : null;
    if (!again) throw new NotFoundError('no dead letter with this id (already redelivered, or past its retention)');
    this.audit.record({ type: 'webhook.redelivered', actor, subject: again.endpoint_id, detail: { delivery_id: again.id, message_id: again.message_id } });
    this.publisher.notifyQueued();
    return again;
  }
}
