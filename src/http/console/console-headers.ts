/**
 * Headers of every answer under /console: the console's pages, its assets,
 * its session endpoints and their errors. Scripts and styles from our own
 * origin only (nothing inline), no framing, no base or plugin tricks, forms
 * posting only here, DOM sinks that take strings refused (Trusted Types),
 * no referrer (the callback's URL carries a code).
 */
import type { RequestHandler, Response } from 'express';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export function setConsoleHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  });
}

/** Mounted at the root: applies to /console and everything under it, 404s and errors included. */
export function consoleHeaders(): RequestHandler {
  return (req, res, next) => {
    if (req.path === '/console' || req.path.startsWith('/console/')) setConsoleHeaders(res);
    next();
  };
}
