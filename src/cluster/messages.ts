/**
 * What the primary and its workers tell each other over node:cluster's IPC
 * channel (TESSERA_WORKERS > 1). Every message has a `tessera:` type, so
 * that messages of other modules on the same channel are ignored.
 */
import type { Exposition, MetricJson } from '../core/metrics/metrics.js';

/** Worker → primary: it listens on `port` (and `metricsPort`) and serves requests. */
export interface ReadyMessage {
  type: 'tessera:ready';
  port: number;
  metricsPort: number | null;
}

/** Worker → primary: a scrape arrived; answer with the sum over every worker. */
export interface ScrapeRequest {
  type: 'tessera:scrape';
  id: number;
}

/** Primary → worker: the answer to a ScrapeRequest (error: it could not be made). */
export interface ScrapeAnswer {
  type: 'tessera:scrape-answer';
  id: number;
  exposition?: Exposition;
  error?: string;
}

/** Primary → worker: send your metrics' values. */
export interface CollectRequest {
  type: 'tessera:collect';
  id: number;
}

/** Worker → primary: the answer to a CollectRequest. */
export interface CollectAnswer {
  type: 'tessera:collected';
  id: number;
  values: MetricJson[];
}

export type WorkerMessage = ReadyMessage | ScrapeRequest | CollectAnswer;
export type PrimaryMessage = ScrapeAnswer | CollectRequest;

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
