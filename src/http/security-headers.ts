/**
 * helmet's default security headers (CSP, HSTS, X-Content-Type-Options,
 * X-Frame-Options, COOP/CORP, Referrer-Policy, ...), computed once at start:
 * helmet's defaults depend on nothing in the request, so its middleware is
 * run once against a recorder and every answer gets the recorded list in one
 * call, instead of a chain of a dozen middleware per request. The login
 * pages set their own, stricter CSP and framing rules over these
 * (authorize/page-headers.ts).
 */
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** What helmet() sets, in its order; helmet also removes X-Powered-By, which the apps never send (`x-powered-by` disabled). */
function recordHelmet(): ReadonlyMap<string, string> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) { headers.set(name, String(value)); },
    removeHeader(name: string) { headers.delete(name); },
    getHeader() { return undefined; },
  };
  let error: unknown = null;
  helmet()({} as never, recorder as never, (err?: unknown) => { error = err ?? null; });
  if (error) throw new Error(`helmet's headers could not be computed: ${String(error)}`);
  if (!headers.size) throw new Error("helmet set no headers: its middleware is no longer synchronous or its API changed");
  return headers;
}

export const SECURITY_HEADERS: ReadonlyMap<string, string> = recordHelmet();

export function setSecurityHeaders(res: Response): void {
  res.setHeaders(SECURITY_HEADERS as Map<string, string>);
}

/** For apps that want only the headers (the metrics listener). */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  setSecurityHeaders(res);
  next();
};
