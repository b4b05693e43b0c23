/**
 * Gauges read when Prometheus scrapes: signing keys by state (in memory),
 * whether the store answers a ping and whether it may evict keys, the API tokens that expire within 7
 * days and the webhook deliveries waiting or dead. Those last two ask the
 * store (an index count, never a scan) at most once a minute, whatever the
 * scrape rate. Store questions
 * are bounded by a short timeout, so an outage slows no scrape: the gauge
 * keeps its last known value and tessera_store_up says why.
 *
 * With TESSERA_WORKERS, every worker reads the same keys and store: a scrape
 * (the workers' sum, src/cluster/) takes the largest of their values, and
 * the smallest for tessera_store_up, so that one worker that cannot reach
 * the store shows.
 */
import { Gauge } from 'prom-client';
import type { KeyInfo, KeyState } from '../keys/types.js';
import type { Store } from '../../store/store.js';
import type { TesseraMetrics } from './metrics.js';
import { evicts } from '../eviction-policy.js';

export const EXPIRING_SOON_WINDOW_MS = 7 * 86_400_000;
export const EXPIRING_SOON_CACHE_MS = 60_000;
const STORE_TIMEOUT_MS = 1_000;
const KEY_STATES: readonly KeyState[] = ['next', 'active', 'retired'];

export interface ScrapeSources {
  keys: {
    list(): KeyInfo[];
    signingKeyActivatedAt?(): number | null;
    plan?(): { nextRotationAt: number | null } | null;
  };
  store: Pick<Store, 'ping' | 'evictionPolicy' | 'apiTokens' | 'webhooks'>;
  now?: () => number;
}

/** Rejects when `work` has not settled within `ms`; the late outcome is dropped. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * A store question asked at most once per EXPIRING_SOON_CACHE_MS whatever
 * the scrape rate, shared by concurrent scrapes, bounded by a timeout; the
 * last known answer (null before the first) when it cannot be asked now.
 */
function cachedCount<T>(now: () => number, ask: () => Promise<T>): () => Promise<T | null> {
  let counted: { at: number; value: T } | null = null;
  let counting: Promise<void> | null = null;
  const recount = async (): Promise<void> => {
    const at = now();
    try {
      counted = { at, value: await withTimeout(ask(), STORE_TIMEOUT_MS) };
    } catch {
      // Keep the last value; the next scrape asks again.
    }
  };
  return async () => {
    if (counted === null || now() - counted.at >= EXPIRING_SOON_CACHE_MS) {
      counting ??= recount().finally(() => { counting = null; });
      await counting;
    }
    return counted?.value ?? null;
  };
}

export function registerScrapeGauges(metrics: TesseraMetrics, sources: ScrapeSources): void {
  const now = sources.now ?? Date.now;
  const registers = [metrics.registry];

  new Gauge({
    name: 'tessera_signing_keys',
    aggregator: 'max',
    help: 'Signing keys in the keys directory, by state (next, active, retired).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const counts: Record<KeyState, number> = { next: 0, active: 0, retired: 0 };
      for (const key of sources.keys.list()) counts[key.state]++;
      for (const state of KEY_STATES) this.labels(state).set(counts[state]);
    },
  });

  new Gauge({
    name: 'tessera_signing_key_age_seconds',
    // Workers of one process may have reloaded at different moments: the oldest view is the one to alert on.
    aggregator: 'max',
    help: 'Seconds since the signing key in use was activated.',
    registers,
    collect() {
      const at = sources.keys.signingKeyActivatedAt?.() ?? null;
      this.reset();
      if (at !== null) this.set(Math.max(0, (now() - at) / 1000));
    },
  });

  new Gauge({
    name: 'tessera_key_next_rotation_timestamp_seconds',
    aggregator: 'min',
    help: 'When the rotation schedule next replaces the signing key (Unix time); absent without a schedule.',
    registers,
    collect() {
      const at = sources.keys.plan?.()?.nextRotationAt ?? null;
      this.reset();
      if (at !== null) this.set(at / 1000);
    },
  });

  new Gauge({
    name: 'tessera_store_up',
    aggregator: 'min',
    help: 'Whether the token store answered a ping within 1 s at this scrape (1) or not (0).',
    registers,
    async collect() {
      try {
        await withTimeout(sources.store.ping(), STORE_TIMEOUT_MS);
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });

  new Gauge({
    name: 'tessera_store_evicts_keys',
    aggregator: 'max',
    help: 'Whether the store may delete keys under memory pressure (1: a Redis maxmemory-policy other than noeviction), by policy; absent while it cannot be asked.',
    labelNames: ['policy'] as const,
    registers,
    async collect() {
      this.reset();
      try {
        const policy = await withTimeout(sources.store.evictionPolicy(), STORE_TIMEOUT_MS);
        this.labels(policy ?? 'none').set(evicts(policy) ? 1 : 0);
      } catch {
        // No answer: no sample this scrape (tessera_store_up says why).
      }
    },
  });

  const expiring = cachedCount(now, () => {
    const at = now();
    return sources.store.apiTokens.countExpiring(at, at + EXPIRING_SOON_WINDOW_MS);
  });
  new Gauge({
    name: 'tessera_api_tokens_expiring_soon',
    aggregator: 'max',
    help: 'API tokens not revoked that expire within the next 7 days (recounted at most once a minute).',
    registers,
    async collect() {
      const value = await expiring();
      if (value !== null) this.set(value);
    },
  });

  const deliveries = cachedCount(now, () => sources.store.webhooks.counts());
  new Gauge({
    name: 'tessera_webhook_deliveries',
    aggregator: 'max',
    help: 'Webhook deliveries in the store by state: pending (queued or waiting for a retry) and dead (on the dead-letter list); recounted at most once a minute.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const value = await deliveries();
      if (value !== null) for (const state of ['pending', 'dead'] as const) this.labels(state).set(value[state]);
    },
  });
}
