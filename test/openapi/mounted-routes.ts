/**
 * The (method, path) pairs an Express 5 app really serves, and their
 * comparison with the operations openapi.yaml documents.
 *
 * Routes are read with router 2.3's public `listRoutes()`, which gives each
 * route's methods and each mounted router with its mount path, so no prefix
 * has to be recorded by hand. Whatever cannot be listed fails loudly rather
 * than being skipped: middleware mounted at a path other than `/` (it may
 * answer requests there unseen, e.g. a sub-app or a bare handler), RegExp
 * paths, and path syntax beyond `:param`.
 */

export interface Operation { method: string; path: string }

export interface MountedRoutes {
  /** Method routes, e.g. `{ method: 'GET', path: '/admin/v1/clients/:id' }`; the automatic HEAD of a GET is left out. */
  operations: Operation[];
  /** Paths with a `.all()` handler: the method guards that answer 405 (src/http/method-guard.ts). */
  guards: string[];
}

interface Listed { path: unknown; methods: string[] | undefined; router: RouterLike | undefined }
interface LayerLike { route?: unknown; handle?: unknown; rawPath?: unknown; name?: string }
interface RouterLike { stack: LayerLike[]; listRoutes?: () => Listed[] }

const isRouter = (handle: unknown): handle is RouterLike =>
  typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);

/** An Express path as a comparable template: `:id` becomes `{}`; anything fancier is refused. */
function template(path: unknown): string {
  if (typeof path !== 'string') throw new Error(`a route path that is not a string (${String(path)}) cannot be compared with openapi.yaml`);
  // path-to-regexp 8: `*name` wildcards, `{...}` optional parts, quoted names, reserved characters.
  if (/[*{}()[\]?+!"\\]/.test(path)) throw new Error(`route path ${path} uses syntax this comparison does not understand`);
  return path.replace(/:[A-Za-z_$][\w$]*/g, '{}');
}

const join = (prefix: string, path: string) => (path === '/' ? prefix : `${prefix}${path}`);

function walk(router: RouterLike, prefix: string, out: MountedRoutes): void {
  if (typeof router.listRoutes !== 'function') {
    throw new Error('router.listRoutes() is missing: listing the mounted routes needs the package router 2.3 or later (Express 5)');
  }
  for (const layer of router.stack) {
    if (layer.route !== undefined || isRouter(layer.handle)) continue;
    if (layer.rawPath !== '/') {
      throw new Error(`middleware ${layer.name ?? '?'} is mounted at ${prefix}${String(layer.rawPath)}: its routes cannot be listed; mount a Router instead`);
    }
  }
  for (const { path, methods, router: sub } of router.listRoutes()) {
    template(path);
    const full = join(prefix, path as string);
    if (sub) {
      walk(sub, full, out);
      continue;
    }
    const list = methods ?? [];
    // A route at `/` of a router mounted at the root (GET /) is the path `/`.
    const route = full || '/';
    if (list.includes('*')) out.guards.push(route);
    for (const method of list) {
      if (method === '*' || (method === 'HEAD' && list.includes('GET'))) continue;
      out.operations.push({ method, path: route });
    }
  }
}

/** Every route an Express app (or Router) serves, nested routers included. */
export function mountedRoutes(app: unknown): MountedRoutes {
  const root = (app as { router?: unknown }).router ?? app;
  if (!isRouter(root)) throw new Error('mountedRoutes: not an Express 5 app or Router');
  const out: MountedRoutes = { operations: [], guards: [] };
  walk(root, '', out);
  return out;
}

export interface RouteDifferences {
  /** Mounted, not in openapi.yaml. */
  undocumented: string[];
  /** In openapi.yaml, not mounted. */
  unmounted: string[];
  /** `.all()` handlers on a path that serves no method route: not a 405 guard but an undocumented catch-all. */
  strayGuards: string[];
}

const key = (op: Operation) => `${op.method.toUpperCase()} ${template(op.path.replace(/\{[^}/]+\}/g, ':p'))}`;

/** Both ways: what is mounted but not documented, and what is documented but not mounted. */
export function compareRoutes(mounted: MountedRoutes, documented: Operation[]): RouteDifferences {
  const mountedKeys = new Map(mounted.operations.map((op) => [key(op), `${op.method} ${op.path}`]));
  const documentedKeys = new Map(documented.map((op) => [key(op), `${op.method.toUpperCase()} ${op.path}`]));
  const servedPaths = new Set(mounted.operations.map((op) => template(op.path)));
  return {
    undocumented: [...mountedKeys].filter(([k]) => !documentedKeys.has(k)).map(([, shown]) => shown).sort(),
    unmounted: [...documentedKeys].filter(([k]) => !mountedKeys.has(k)).map(([, shown]) => shown).sort(),
    strayGuards: [...new Set(mounted.guards)].filter((p) => !servedPaths.has(template(p))).sort(),
  };
}
