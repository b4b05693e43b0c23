/**
 * POST /console/session, POST /console/session/refresh, DELETE /console/session:
 * the console's tokens, kept out of reach of page scripts. The page sends
 * the authorization code and its PKCE verifier; this endpoint redeems them
 * for the built-in public client, keeps the rotating refresh token in an
 * HttpOnly, SameSite=Strict cookie scoped to this path (Secure on https)
 * and answers only the access token, which the page holds in memory.
 * Sign-out revokes the refresh token (RFC 7009 §2.1: its access tokens too)
 * and clears the cookie.
 *
 * CSRF: the cookie is SameSite=Strict, every call must carry the header
 * `X-Tessera-Console: 1` (a cross-origin page cannot send it without a CORS
 * preflight, which is never granted), and an Origin, when sent, must be the
 * issuer's.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { NO_STORE } from '../no-store.js';
import { keepingContext } from '../request-context.js';
import { cookieOf } from '../authorize/session.js';
import { InvalidGrantError, InvalidRequestError } from '../../core/errors.js';
import { CONSOLE_CLIENT_ID, consoleRedirectUri } from '../../core/console-client.js';
import type { TokenResponse } from '../../core/grants/grant-handler.js';

export const SESSION_COOKIE = 'tessera_console';
export const CSRF_HEADER = 'x-tessera-console';
const COOKIE_PATH = '/console/session';

const ExchangeSchema = z.strictObject({
  code: z.string().min(1).max(512),
  code_verifier: z.string().min(43).max(128),
});

export function consoleSessionRoutes(ctx: AppContext): Router {
  const router = Router();
  const secure = ctx.issuer.startsWith('https:');
  const issuerOrigin = new URL(ctx.issuer).origin;
  const cookiePath = `${new URL(ctx.issuer).pathname.replace(/\/+$/, '')}${COOKIE_PATH}`;
  const presented = { method: 'none' as const, clientId: CONSOLE_CLIENT_ID, secret: null };

  const checkCsrf = (req: Request) => {
    if (req.get(CSRF_HEADER) !== '1') throw new InvalidRequestError(`the header X-Tessera-Console: 1 is required`);
    const origin = req.get('origin');
    if (origin !== undefined && origin !== issuerOrigin) throw new InvalidRequestError('the request comes from another origin');
  };
  const setCookie = (res: Response, token: string) => {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: cookiePath });
  };
  const clearCookie = (res: Response) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: cookiePath });
  };
  const answer = (res: Response, tokens: TokenResponse) => {
    if (!tokens.refresh_token) throw new InvalidGrantError('no refresh token was issued');
    setCookie(res, tokens.refresh_token);
    res.status(200).set(NO_STORE).json({
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      expires_in: tokens.expires_in,
      scope: tokens.scope ?? '',
    });
  };
  const grant = (req: Request, params: Record<string, string>) =>
    ctx.tokenEndpoint.handle(presented, { params: { ...params, client_id: CONSOLE_CLIENT_ID }, resources: [], audiences: [], ip: req.ip ?? '' });

  router.post('/console/session', keepingContext(express.json({ limit: '4kb', strict: true })), async (req, res) => {
    checkCsrf(req);
    const body = ExchangeSchema.safeParse(req.body ?? {});
    if (!body.success) throw new InvalidRequestError('the body must be {"code": string, "code_verifier": string}');
    answer(res, await grant(req, {
      grant_type: 'authorization_code', code: body.data.code, code_verifier: body.data.code_verifier, redirect_uri: consoleRedirectUri(ctx.issuer),
    }));
  });

  router.post('/console/session/refresh', async (req, res) => {
    checkCsrf(req);
    const token = cookieOf(req, SESSION_COOKIE);
    if (!token) throw new InvalidGrantError('no console session');
    try {
      answer(res, await grant(req, { grant_type: 'refresh_token', refresh_token: token }));
    } catch (err) {
      // A refused refresh token (expired, revoked, reused) is no session: forget it.
      if (err instanceof InvalidGrantError) clearCookie(res);
      throw err;
    }
  });

  router.delete('/console/session', async (req, res) => {
    checkCsrf(req);
    const token = cookieOf(req, SESSION_COOKIE);
    clearCookie(res);
    if (token) {
      const client = await ctx.store.clients.get(CONSOLE_CLIENT_ID);
      const revoked = client ? await ctx.revocation.revoke(token, 'refresh_token', client) : null;
      if (revoked) {
        ctx.audit.record({ type: 'token.revoked', actor: { type: 'client', id: CONSOLE_CLIENT_ID }, token_id: revoked.id, client_id: CONSOLE_CLIENT_ID, detail: { kind: revoked.kind, reason: 'console sign-out' } });
      }
    }
    res.status(204).set(NO_STORE).end();
  });

  router.all('/console/session', onlyMethods('POST', 'DELETE'));
  router.all('/console/session/refresh', onlyMethods('POST'));
  return router;
}
