/**
 * The web console at /console: a single-page app built into dist/console/
 * (scripts/build-console.mjs) and served here as static files, with its
 * session endpoints (console-session.ts). Routes inside the app live in the
 * URL's fragment (/console#/tokens), so the server has exactly these paths:
 * /console, /console/callback (where sign-in comes back), the assets.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { NotFoundError } from '../../core/errors.js';
import { consoleHeaders } from './console-headers.js';
import { consoleSessionRoutes } from './console-session.js';

/** dist/console/ from both src/http/console/ (tests) and dist/http/console/ (built). */
export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/console');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Built { page: string; assets: Map<string, { type: string; body: Buffer }> }

/** Read once at start; null when the console was not built (a source checkout before `npm run build`). */
function readBuilt(dir: string, base: string): Built | null {
  let files: string[];
  try {
    files = readdirSync(path.join(dir, 'assets'));
  } catch {
    return null;
  }
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const name of files) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { type, body: readFileSync(path.join(dir, 'assets', name)) });
  }
  // The page names its assets under the issuer's path, which may have a prefix behind a proxy.
  const page = readFileSync(path.join(dir, 'index.html'), 'utf8').replaceAll('{{BASE}}', base);
  return { page, assets };
}

export function consoleRoutes(ctx: AppContext, dir = CONSOLE_DIST): Router {
  const router = Router();
  const base = new URL(ctx.issuer).pathname.replace(/\/+$/, '');
  const built = readBuilt(dir, base);
  if (!built) ctx.logger.warn({ dir }, 'the console is on but was not built (npm run build): /console answers 404');

  router.use(consoleHeaders());
  const page = (res: Response) => {
    if (!built) throw new NotFoundError('the console was not built (npm run build)');
    res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(built.page);
  };
  router.get('/console', (_req, res) => page(res));
  router.get('/console/callback', (_req, res) => page(res));
  router.get('/console/assets/:file', (req, res) => {
    const asset = built?.assets.get(String(req.params.file));
    if (!asset) throw new NotFoundError('no such file');
    // Not hashed names: revalidate on each load so a new version is never mixed with an old one.
    res.status(200).set({ 'Content-Type': asset.type, 'Cache-Control': 'no-cache' }).send(asset.body);
  });
  router.use(consoleSessionRoutes(ctx));
  router.all('/console', onlyMethods('GET'));
  router.all('/console/callback', onlyMethods('GET'));
  router.all('/console/assets/:file', onlyMethods('GET'));
  return router;
}
