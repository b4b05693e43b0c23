/**
 * The routed pattern of a request (`/admin/v1/clients/:id`), never its raw
 * URL: the request log and the metrics label requests by it, so a token in a
 * path or query never reaches a log line and the number of series stays
 * bounded whatever paths callers send.
 *
 * Express's router assigns `req.route` when a route matches and `req.baseUrl`
 * as the request enters and leaves mounted routers. trackRoutes() puts
 * accessors for both on the app's request prototype, once, which note the
 * pattern as the router goes: no per-request closures and no per-request
 * Object.defineProperty (which would give every request object its own
 * shape and slow every later property access on it).
 */
import type { Express, Request } from 'express';

export const UNMATCHED = '(unmatched)';

const ROUTE = Symbol('tessera.route');
const BASE_URL = Symbol('tessera.baseUrl');
const ROUTE_BASE = Symbol('tessera.routeBaseUrl');
const MOUNT = Symbol('tessera.mount');

interface Tracked {
  [ROUTE]?: unknown;
  [BASE_URL]?: unknown;
  [ROUTE_BASE]?: unknown;
  [MOUNT]?: string;
}

/** Installs the tracking accessors on `app.request`; call once per app, before it serves. */
export function trackRoutes(app: Express): void {
  Object.defineProperties(app.request, {
    route: {
      configurable: true,
      get(this: Tracked) { return this[ROUTE]; },
      set(this: Tracked, value: unknown) {
        // Only noted here (the router may assign several times); the pattern is built when asked for.
        this[ROUTE] = value;
        this[ROUTE_BASE] = this[BASE_URL];
      },
    },
    baseUrl: {
      configurable: true,
      get(this: Tracked) { return this[BASE_URL]; },
      set(this: Tracked, value: unknown) {
        this[BASE_URL] = value;
        // Express puts baseUrl back when an error leaves a router: keep the deepest mount reached.
        if (typeof value === 'string' && value.length > (this[MOUNT]?.length ?? 0)) this[MOUNT] = value;
      },
    },
  });
}

/**
 * The pattern of the last route that matched, with the mount it matched
 * under; `<mount>/*` when the request got into a mounted router but no route
 * there ran (a 401 of its bearer check); `(unmatched)` otherwise.
 */
export function routePattern(req: Request): string {
  const tracked = req as unknown as Tracked;
  const path = (tracked[ROUTE] as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${typeof tracked[ROUTE_BASE] === 'string' ? tracked[ROUTE_BASE] : ''}${path}`;
  return tracked[MOUNT] ? `${tracked[MOUNT]}/*` : UNMATCHED;
}
