/**
 * The routed pattern of a request (`/admin/v1/clients/:id`), never its raw
 * URL: the request log and the metrics label requests by it, so a token in a
 * path or query never reaches a log line and the number of series stays
 * bounded whatever paths callers send.
 */
import type { Request } from 'express';

export const UNMATCHED = '(unmatched)';
const trackers = new WeakMap<Request, () => string>();

/**
 * Calls `onSet` each time `key` is assigned on `req`, keeping any accessor
 * already there (another tracker of the same request keeps working).
 */
function onAssign(req: Request, key: 'route' | 'baseUrl', onSet: (value: unknown) => void): void {
  const previous = Object.getOwnPropertyDescriptor(req, key);
  let value: unknown = previous && 'value' in previous ? previous.value : req[key];
  Object.defineProperty(req, key, {
    configurable: true,
    enumerable: true,
    get: previous?.get ? previous.get.bind(req) : () => value,
    set: (next: unknown) => {
      if (previous?.set) previous.set.call(req, next);
      else value = next;
      onSet(next);
    },
  });
}

/**
 * The pattern of the last route that matched, with the mount it matched
 * under (`/admin/v1/clients/:id`); `<mount>/*` when the request got into a
 * mounted router but no route there ran (a 401 of its bearer check);
 * `(unmatched)` otherwise. Taken when the router sets `req.route` and
 * `req.baseUrl`: Express puts `baseUrl` back when an error leaves a router,
 * so by the time the answer is sent it no longer names the mount.
 */
export function trackRoute(req: Request): () => string {
  const known = trackers.get(req);
  if (known) return known;
  let pattern: string | null = null;
  let mount = '';
  onAssign(req, 'baseUrl', (value) => {
    if (typeof value === 'string' && value.length > mount.length) mount = value;
  });
  onAssign(req, 'route', (value) => {
    const path = (value as { path?: unknown } | undefined)?.path;
    if (typeof path === 'string') pattern = `${req.baseUrl}${path}`;
  });
  const routeOf = () => pattern ?? (mount ? `${mount}/*` : UNMATCHED);
  trackers.set(req, routeOf);
  return routeOf;
}
