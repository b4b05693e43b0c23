/**
 * Turns an event into queued deliveries: one per enabled endpoint that
 * subscribed to its type, all sharing one message id and one payload in
 * the Standard Webhooks shape `{type, timestamp, data}`. Publishing never
 * waits on a request's path: `publish()` returns at once and the enqueue
 * runs behind it (a failure is logged, never thrown at the caller); the
 * dispatcher is then told there is work.
 */
import type { Logger } from 'pino';
import type { Store, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../store/store.js';
import { newDeliveryId, newMessageId } from './ids.js';

/** Most endpoints one server holds: every event is fanned out to each of them. */
export const MAX_ENDPOINTS = 100;

export interface EventToPublish {
  type: string;
  data: Record<string, unknown>;
}

export interface Published {
  message_id: string;
  deliveries: WebhookDeliveryRecord[];
}

export function subscribes(endpoint: WebhookEndpointRecord, type: string): boolean {
  return !endpoint.disabled && (endpoint.event_types === null || endpoint.event_types.includes(type));
}

export class WebhookPublisher {
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly onQueued: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues the event for every endpoint that wants it, in the background. */
  publish(event: EventToPublish): void {
    const at = this.now();
    const work = this.enqueue(event, at, (e) => subscribes(e, event.type)).then(
      (published) => { if (published.deliveries.length) this.onQueued(); },
      (err: unknown) => this.logger.error({ err: String(err), event: event.type }, 'webhook event not queued'),
    );
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Queues the event for `endpoint` only, now (the test ping). */
  async publishTo(endpoint: WebhookEndpointRecord, event: EventToPublish): Promise<Published> {
    const published = await this.enqueue(event, this.now(), (e) => e.id === endpoint.id, [endpoint]);
    this.onQueued();
    return published;
  }

  /** Deliveries were queued some other way (a redelivery): the dispatcher should look now. */
  notifyQueued(): void {
    this.onQueued();
  }

  /** Resolves once every publish started so far has been queued (or has failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  private async enqueue(event: EventToPublish, at: number, wanted: (e: WebhookEndpointRecord) => boolean, known?: WebhookEndpointRecord[]): Promise<Published> {
    const endpoints = (known ?? await this.allEndpoints()).filter(wanted);
    const messageId = newMessageId();
    if (endpoints.length === 0) return { message_id: messageId, deliveries: [] };
    const payload = JSON.stringify({ type: event.type, timestamp: new Date(at).toISOString(), data: event.data });
    const deliveries = endpoints.map((e): WebhookDeliveryRecord => ({
      id: newDeliveryId(at), endpoint_id: e.id, message_id: messageId, event_type: event.type, payload,
      created_at: at, state: 'pending', attempts: 0, next_attempt_at: at, last_attempt_at: null, last_status: null, last_error: null,
    }));
    await this.store.webhooks.enqueue(deliveries);
    return { message_id: messageId, deliveries };
  }

  private async allEndpoints(): Promise<WebhookEndpointRecord[]> {
    const all: WebhookEndpointRecord[] = [];
    let cursor: string | undefined;
    // Bounded: at most MAX_ENDPOINTS exist, so this is one page in practice.
    for (let pages = 0; pages < 10; pages++) {
      const page = await this.store.webhooks.listEndpoints({ limit: MAX_ENDPOINTS, cursor });
      all.push(...page.items);
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    return all;
  }
}
