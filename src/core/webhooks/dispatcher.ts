/**
 * Sends queued deliveries. Every instance runs one: it claims due deliveries
 * from the store (each leased to one instance at a time), POSTs them signed
 * per Standard Webhooks, and records the outcome: a 2xx drops the delivery;
 * anything else (another status, a redirect, a refused connection, a
 * timeout) schedules the next attempt (retry-schedule.ts) until the last has
 * failed, when the delivery goes to the dead-letter list. This runs on
 * timers of its own, never on a request's path.
 */
import type { Logger } from 'pino';
import type { Store, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../store/store.js';
import type { AtRestSecrets } from '../crypto/at-rest.js';
import { MAX_ATTEMPTS, nextWaitMs } from './retry-schedule.js';
import { signWebhook } from './signature.js';
import { stripUndefined } from '../objects.js';

export interface DispatcherOptions {
  now?: () => number;
  /** For the retry jitter; tests make it deterministic. */
  random?: () => number;
  /** Deliveries sent at once by this instance. */
  concurrency?: number;
  /** How long one instance holds a claimed delivery; longer than any attempt takes. */
  leaseMs?: number;
  /** Per attempt, connection to end of the answer's headers. */
  timeoutMs?: number;
  /** How often the queue is looked at when nothing says there is work. */
  pollMs?: number;
  /** How long a dead letter is kept for redelivery. */
  deadRetentionMs?: number;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'dead' | 'dropped';

export interface DispatcherHooks {
  /** Told the outcome of every attempt (metrics). */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

export const USER_AGENT = 'Tessera-Webhooks/1';
const DEFAULTS = { concurrency: 8, leaseMs: 60_000, timeoutMs: 15_000, pollMs: 1_000, deadRetentionMs: 30 * 86_400_000 };

export class WebhookDispatcher {
  readonly #o: Required<DispatcherOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | null = null;
  #again = false;
  #stopped = true;
  #lastError: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly secrets: AtRestSecrets,
    private readonly logger: Logger,
    options: DispatcherOptions = {},
    private readonly hooks: DispatcherHooks = {},
  ) {
    this.#o = { now: Date.now, random: Math.random, ...DEFAULTS, ...stripUndefined(options) };
  }

  /** Starts polling the queue. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops polling and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** There is new work: look at the queue now rather than at the next poll. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  /**
   * Sends everything due now, a batch at a time, and resolves with how many
   * attempts were made. Concurrent calls share one run.
   */
  runOnce(): Promise<number> {
    this.#running ??= this.#drain().finally(() => { this.#running = null; });
    return this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), ms);
    // The queue is durable: polling must never be what keeps the process alive.
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    try {
      await this.runOnce();
      this.#lastError = null;
    } catch (err) {
      // Once per distinct error (a Redis outage would otherwise log every poll).
      const message = String(err);
      if (message !== this.#lastError) this.logger.warn({ err: message }, 'webhook queue unavailable; retrying');
      this.#lastError = message;
    }
    const again = this.#again;
    this.#again = false;
    this.#schedule(again ? 0 : this.#o.pollMs);
  }

  async #drain(): Promise<number> {
    let attempts = 0;
    const endpoints = new Map<string, Promise<WebhookEndpointRecord | null>>();
    for (;;) {
      const batch = await this.store.webhooks.claim(this.#o.now(), this.#o.concurrency, this.#o.leaseMs);
      await Promise.all(batch.map(async (d) => {
        if (!endpoints.has(d.endpoint_id)) endpoints.set(d.endpoint_id, this.store.webhooks.getEndpoint(d.endpoint_id));
        const outcome = await this.#attempt(d, await endpoints.get(d.endpoint_id)!);
        this.hooks.onAttempt?.(outcome);
      }));
      attempts += batch.length;
      if (batch.length < this.#o.concurrency || this.#stopped) return attempts;
    }
  }

  async #attempt(d: WebhookDeliveryRecord, endpoint: WebhookEndpointRecord | null): Promise<AttemptOutcome> {
    if (!endpoint) {
      // Its endpoint was deleted: nobody is left to deliver to.
      await this.store.webhooks.delivered(d.id);
      return 'dropped';
    }
    const at = this.#o.now();
    let status: number | null = null;
    let error: string | null = null;
    if (endpoint.disabled) error = 'the endpoint is disabled';
    else {
      try {
        status = await this.#post(endpoint, d, at);
        if (status >= 200 && status < 300) {
          await this.store.webhooks.delivered(d.id);
          return 'delivered';
        }
        error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      } catch (err) {
        error = describeFailure(err, this.#o.timeoutMs);
      }
    }
    const failed: WebhookDeliveryRecord = { ...d, attempts: d.attempts + 1, last_attempt_at: at, last_status: status, last_error: error };
    const wait = failed.attempts >= MAX_ATTEMPTS ? null : nextWaitMs(failed.attempts, this.#o.random);
    if (wait === null) {
      await this.store.webhooks.deadLetter({ ...failed, state: 'dead', next_attempt_at: at }, at + this.#o.deadRetentionMs);
      this.logger.warn({ delivery_id: d.id, endpoint_id: d.endpoint_id, event: d.event_type, attempts: failed.attempts, error }, 'webhook delivery failed every attempt; dead-lettered');
      return 'dead';
    }
    await this.store.webhooks.retry({ ...failed, next_attempt_at: at + wait });
    return 'retry';
  }

  /** One POST, signed now with the current secret (and the previous one during a rotation overlap). */
  async #post(endpoint: WebhookEndpointRecord, d: WebhookDeliveryRecord, at: number): Promise<number> {
    const secrets = [this.secrets.open(endpoint.secret)];
    if (endpoint.previous_secret !== null && (endpoint.previous_expires_at ?? 0) > at) secrets.push(this.secrets.open(endpoint.previous_secret));
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT, ...signWebhook(d.message_id, at, d.payload, secrets) },
      body: d.payload,
      // A receiver answers where it was asked; following a redirect would send the event somewhere nobody configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#o.timeoutMs),
    });
    // Only the status matters; the body is discarded so that the connection is freed.
    await res.body?.cancel().catch(() => undefined);
    return res.status;
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return (cause ? `${e?.message ?? 'request failed'} (${cause})` : (e?.message ?? String(err))).slice(0, 300);
}
