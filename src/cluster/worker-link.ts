/**
 * A worker's side of TESSERA_WORKERS: it tells the primary when it serves,
 * hands over its metrics' values when the primary collects them, and
 * answers a scrape with the primary's sum over every worker, so that
 * Prometheus sees one instance whichever worker the connection reached.
 */
import { BusyError } from '../core/errors.js';
import type { Exposition, TesseraMetrics } from '../core/metrics/metrics.js';
import { isMessage, type CollectAnswer, type CollectRequest, type ReadyMessage, type ScrapeAnswer, type ScrapeRequest } from './messages.js';

/** A scrape waits this long for the primary's sum, which itself waits at most COLLECT_TIMEOUT_MS for the workers. */
const SCRAPE_TIMEOUT_MS = 5_000;

function send(message: ReadyMessage | ScrapeRequest | CollectAnswer): void {
  // The channel is gone when the primary died; the worker then exits (node:cluster) and nobody is waiting.
  if (process.connected) process.send!(message);
}

export function announceReady(port: number, metricsPort: number | null): void {
  send({ type: 'tessera:ready', port, metricsPort });
}

export function linkMetrics(metrics: TesseraMetrics): void {
  const pending = new Map<number, { resolve: (e: Exposition) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isMessage<CollectRequest>(message, 'tessera:collect')) {
      void metrics.values().then((values) => send({ type: 'tessera:collected', id: message.id, values }));
    } else if (isMessage<ScrapeAnswer>(message, 'tessera:scrape-answer')) {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.exposition) waiting?.resolve(message.exposition);
      else waiting?.reject(new BusyError(`the metrics of the workers could not be collected: ${message.error ?? 'no answer'}`));
    }
  });
  metrics.setExposition(() => new Promise<Exposition>((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new BusyError('the metrics of the workers could not be collected in time'));
    }, SCRAPE_TIMEOUT_MS);
    pending.set(id, {
      resolve: (e) => { clearTimeout(timer); resolve(e); },
      reject: (err) => { clearTimeout(timer); reject(err); },
    });
    send({ type: 'tessera:scrape', id });
  }));
}
