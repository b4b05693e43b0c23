/**
 * Stopping HTTP listeners without cutting answers off (SIGTERM): stop
 * accepting, let requests in flight finish, close every keep-alive
 * connection as soon as it carries no request, and give up at a deadline.
 */
import type http from 'node:http';
import { InFlightList } from './in-flight-list.js';

interface Tracked {
  inFlight: InFlightList<http.ServerResponse>;
  draining: boolean;
}

const tracked = new WeakMap<http.Server, Tracked>();

/** How often idle connections are swept while draining (answers that began before the drain keep their keep-alive). */
const SWEEP_MS = 100;

/**
 * Counts the server's requests in flight, so that a drain can tell their
 * answers to close the connection (RFC 9112 §9.6: `Connection: close` tells
 * the client not to send another request on it) and can say how many were
 * cut off at the deadline. Call once per server, before it serves.
 */
export function trackRequests(server: http.Server): void {
  const state: Tracked = { inFlight: new InFlightList(), draining: false };
  tracked.set(server, state);
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (state.draining) res.setHeader('Connection', 'close');
    const entry = state.inFlight.add(res);
    res.once('close', () => state.inFlight.remove(entry));
  });
}

/** Requests of tracked servers whose answers are not finished yet. */
export function requestsInFlight(servers: readonly http.Server[]): number {
  return servers.reduce((n, s) => n + (tracked.get(s)?.inFlight.size ?? 0), 0);
}

export interface DrainResult {
  /** True when the deadline came first and the remaining connections were destroyed. */
  forced: boolean;
  /** Requests still running at the deadline (tracked servers only). */
  cutOff: number;
}

/**
 * Stops every server from accepting and resolves once all their connections
 * are closed, or at `timeoutMs`, when whatever is left is destroyed. Never
 * rejects.
 */
export function drainServers(servers: readonly http.Server[], timeoutMs: number): Promise<DrainResult> {
  for (const server of servers) {
    const state = tracked.get(server);
    if (state) {
      state.draining = true;
      for (const res of state.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    } else {
      server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
    }
  }
  const closed = servers.map((server) => new Promise<void>((resolve) => {
    // The callback also runs (with ERR_SERVER_NOT_RUNNING) for a server that never listened.
    server.close(() => resolve());
    server.closeIdleConnections();
  }));
  const sweep = setInterval(() => servers.forEach((s) => s.closeIdleConnections()), SWEEP_MS);
  sweep.unref();
  return new Promise<DrainResult>((resolve) => {
    const deadline = setTimeout(() => {
      clearInterval(sweep);
      const cutOff = requestsInFlight(servers);
      servers.forEach((s) => s.closeAllConnections());
      resolve({ forced: true, cutOff });
    }, timeoutMs);
    void Promise.all(closed).then(() => {
      clearTimeout(deadline);
      clearInterval(sweep);
      resolve({ forced: false, cutOff: 0 });
    });
  });
}
