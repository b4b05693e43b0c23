/**
 * The Prometheus metrics of one Tessera instance (prom-client). Each
 * instance has a Registry of its own, never prom-client's global one: tests
 * build many instances in one process, and their counts must not mix.
 *
 * The Node.js process metrics (collectDefaultMetrics: CPU, memory, event
 * loop, GC) are registered once per process, in a registry of their own that
 * every scrape merges in: they describe the process, not an instance, and
 * each registration starts a GC observer and an event-loop monitor that
 * prom-client offers no way to stop.
 *
 * Label values are bounded: routes are routed patterns, error codes come
 * from the error classes, policies and key states are fixed sets, and
 * client_id is bounded by the clients an admin created.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PolicyName } from '../rate-limits.js';
import type { AttemptOutcome } from '../webhooks/dispatcher.js';
import { BoundHistogram } from './bound-histogram.js';

let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const RATE_LIMIT_POLICIES: readonly PolicyName[] = ['client', 'auth_failures', 'api_token'];
const WEBHOOK_OUTCOMES: readonly AttemptOutcome[] = ['delivered', 'retry', 'dead', 'dropped'];

// Store calls are mostly sub-millisecond (memory) to a few ms (Redis); the tail matters.
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Exposition {
  contentType: string;
  body: string;
}

/** One metric with its values, as prom-client's cluster aggregation takes it (src/cluster/). */
export type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

export class TesseraMetrics {
  readonly registry = new Registry();

  // client_id: one series per client and grant; clients are created by admins, so this stays bounded.
  readonly tokensIssued = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Access tokens issued at the token endpoint, by grant type and client.',
    labelNames: ['grant_type', 'client_id'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests answered, by method, routed path pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  // Observed once per request: children kept per method and route (bound-histogram.ts).
  readonly httpDuration = new BoundHistogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its answer, by method and routed path pattern.',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'tessera_errors_total',
    help: 'Error answers, by routed path pattern and the error code in the body (invalid_client, invalid_grant, ...).',
    labelNames: ['route', 'error'] as const,
    registers: [this.registry],
  });

  readonly refreshTokenReuse = new Counter({
    name: 'tessera_refresh_token_reuse_total',
    help: 'Refresh tokens presented again after rotation; each revoked its whole family.',
    registers: [this.registry],
  });

  readonly authorizationCodeReuse = new Counter({
    name: 'tessera_authorization_code_reuse_total',
    help: 'Authorization codes presented a second time; each revoked what the first use issued.',
    registers: [this.registry],
  });

  readonly rateLimitRefusals = new Counter({
    name: 'tessera_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate-limit policy.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });

  // Observed on every repository call, several per request: children bound once (bound-histogram.ts).
  readonly storeDuration = new BoundHistogram({
    name: 'tessera_store_operation_duration_seconds',
    help: 'Duration of store operations (repository.method), failed ones included.',
    labelNames: ['operation'],
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'tessera_store_errors_total',
    help: 'Store operations that failed (an unreachable or failing backend), by operation.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'tessera_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (failed; tried again later), dead (the last attempt failed), dropped (its endpoint was deleted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly keyRotations = new Counter({
    name: 'tessera_key_rotations_total',
    help: 'Signing-key rotations this instance carried out, by trigger: schedule (TESSERA_KEY_ROTATION_INTERVAL) or manual (admin API).',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly usageDropped = new Counter({
    name: 'tessera_usage_dropped_total',
    help: 'Token uses not counted in the usage records, by reason: full (too many tokens waited for the next flush) or failed (the flush could not write them).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    for (const reason of ['full', 'failed']) this.usageDropped.labels(reason).inc(0);
    for (const trigger of ['schedule', 'manual']) this.keyRotations.labels(trigger).inc(0);
    // Known series start at 0, so that rate() sees the first refusal.
    for (const policy of RATE_LIMIT_POLICIES) this.rateLimitRefusals.labels(policy).inc(0);
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookAttempts.labels(outcome).inc(0);
  }

  /** Where a scrape's answer comes from; a cluster worker asks the primary for every worker's sum instead (src/cluster/worker-link.ts). */
  private source: (() => Promise<Exposition>) | null = null;

  /** The text exposition format of this instance's metrics and the process's (or what setExposition says). */
  async exposition(): Promise<Exposition> {
    if (this.source) return this.source();
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: this.registry.contentType, body: await merged.metrics() };
  }

  /** This instance's and this process's metrics as values, for the cluster primary to add up. */
  async values(): Promise<MetricJson[]> {
    return Registry.merge([this.registry, processMetrics()]).getMetricsAsJSON();
  }

  /** Serve scrapes from `source` from now on (a cluster worker: the sum over every worker). */
  setExposition(source: () => Promise<Exposition>): void {
    this.source = source;
  }
}
