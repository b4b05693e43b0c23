/**
 * Binds a pending authorization request to the browser that started it: an
 * HttpOnly, SameSite=Lax cookie holds the request id, and the forms carry a
 * CSRF token whose hash is on the request. Both must match on every post.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { sha256Hex } from '../../core/crypto/secret-hash.js';
import type { AuthorizationRequestRecord } from '../../store/store.js';

export const COOKIE = 'tessera_authz';
export const REQUEST_TTL_MS = 10 * 60_000;

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function setRequestCookie(res: Response, id: string, secure: boolean): void {
  res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'lax', path: '/oauth', secure, maxAge: REQUEST_TTL_MS });
}

export function clearRequestCookie(res: Response, secure: boolean): void {
  res.clearCookie(COOKIE, { httpOnly: true, sameSite: 'lax', path: '/oauth', secure });
}

/** The request's CSRF token matches, compared in constant time (hashes have equal length). */
export function csrfMatches(request: AuthorizationRequestRecord, presented: string | undefined): boolean {
  if (!presented) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(presented)), Buffer.from(request.csrf_hash));
}
