/**
 * Headers of the login pages. The CSP has no script at all, styles from our
 * own origin only, no framing (clickjacking, RFC 6749 §10.13), and
 * `form-action` naming the client's redirect URI too: browsers apply
 * form-action to the redirect that follows a form post.
 */
import type { Response } from 'express';

function formTarget(redirectUri: string | null): string {
  if (!redirectUri) return '';
  const url = new URL(redirectUri);
  // Custom schemes of native apps (RFC 8252 §7.1) have no origin; allow the scheme.
  return url.protocol === 'http:' || url.protocol === 'https:' ? ` ${url.origin}` : ` ${url.protocol}`;
}

export function setPageHeaders(res: Response, redirectUri: string | null): void {
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; " +
      `form-action 'self'${formTarget(redirectUri)}`,
  });
}
