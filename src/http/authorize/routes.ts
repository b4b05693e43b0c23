/**
 * GET /oauth/authorize (RFC 6749 §4.1.1) and the login and consent forms
 * behind it. The pages are ours; the client only ever sees the redirect
 * back with a code or an error.
 */
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import { formBody } from '../oauth-form.js';
import { onlyMethods } from '../method-guard.js';
import { sha256Hex } from '../../core/crypto/secret-hash.js';
import { AuthorizePageError, AuthorizeRedirectError, redirectWith, validateAuthorizeRequest } from '../../core/authorization/authorize-request.js';
import { LoginFailedError } from '../../core/users/login.js';
import { userGrantScopes } from '../../core/grants/user-tokens.js';
import type { AuthorizationRequestRecord, ClientRecord } from '../../store/store.js';
import { consentPage, errorPage, loginPage, STYLESHEET } from './pages.js';
import { setPageHeaders } from './page-headers.js';
import { clearRequestCookie, cookieOf, COOKIE, csrfMatches, newSecret, REQUEST_TTL_MS, setRequestCookie } from './session.js';

const CODE_TTL_MS = 60_000;
const EXPIRED = 'This sign-in request has expired or is not valid.';

export function authorizeRoutes(ctx: AppContext): Router {
  const router = Router();
  const secure = ctx.issuer.startsWith('https:');

  const showError = (res: Response, status: number, message: string) => {
    setPageHeaders(res, null);
    res.status(status).send(errorPage(message));
  };
  const redirectBack = (res: Response, uri: string, params: Record<string, string | null>) => {
    clearRequestCookie(res, secure);
    // 303 (RFC 9700 §4.12): the browser follows with a GET, never re-posting the password.
    res.status(303).set('Cache-Control', 'no-store').location(redirectWith(uri, { ...params, iss: ctx.issuer })).end();
  };

  router.get('/oauth/assets/tessera.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=86400' }).send(STYLESHEET);
  });

  router.get('/oauth/authorize', async (req, res) => {
    let valid;
    try {
      valid = await validateAuthorizeRequest(ctx.store, req.query as Record<string, unknown>);
    } catch (err) {
      if (err instanceof AuthorizePageError) return showError(res, 400, err.message);
      if (err instanceof AuthorizeRedirectError) {
        return redirectBack(res, err.redirectUri, { error: err.code, error_description: err.message, state: err.state });
      }
      throw err;
    }
    const csrf = newSecret();
    const record: AuthorizationRequestRecord = {
      id: randomBytes(18).toString('base64url'),
      client_id: valid.client.client_id,
      redirect_uri: valid.redirectUri,
      scopes: valid.scopes,
      state: valid.state,
      code_challenge: valid.codeChallenge,
      csrf_hash: sha256Hex(csrf),
      user_id: null,
      auth_time: null,
      expires_at: Date.now() + REQUEST_TTL_MS,
    };
    await ctx.store.authorizationRequests.put(record);
    setRequestCookie(res, record.id, secure);
    setPageHeaders(res, record.redirect_uri);
    res.status(200).send(loginPage({ clientName: valid.client.name, requestId: record.id, csrf }));
  });

  /** The pending request a form post belongs to, checked against the cookie and the CSRF token. */
  async function pending(req: Request, res: Response): Promise<{ request: AuthorizationRequestRecord; client: ClientRecord; form: Record<string, string> } | null> {
    const form = Object.fromEntries(new URLSearchParams(typeof req.body === 'string' ? req.body : ''));
    const id = form.request_id;
    const request = id && id.length < 100 ? await ctx.store.authorizationRequests.get(id) : null;
    if (!request) {
      showError(res, 400, EXPIRED);
      return null;
    }
    if (cookieOf(req, COOKIE) !== request.id || !csrfMatches(request, form.csrf)) {
      showError(res, 403, 'This form was not sent from the sign-in page it belongs to. Start again from the application.');
      return null;
    }
    const client = await ctx.store.clients.get(request.client_id);
    if (!client) {
      showError(res, 400, EXPIRED);
      return null;
    }
    return { request, client, form };
  }

  async function issueCode(res: Response, request: AuthorizationRequestRecord): Promise<void> {
    const code = randomBytes(32).toString('base64url');
    await ctx.store.authorizationCodes.save({
      code_hash: sha256Hex(code),
      client_id: request.client_id,
      redirect_uri: request.redirect_uri,
      user_id: request.user_id!,
      scopes: request.scopes,
      code_challenge: request.code_challenge,
      auth_time: request.auth_time!,
      expires_at: Date.now() + CODE_TTL_MS,
    });
    await ctx.store.authorizationRequests.delete(request.id);
    redirectBack(res, request.redirect_uri, { code, state: request.state });
  }

  router.post('/oauth/authorize/login', formBody, async (req, res) => {
    const p = await pending(req, res);
    if (!p) return;
    const { request, client, form } = p;
    let user;
    try {
      user = await ctx.login.authenticate(form.username ?? '', form.password ?? '', req.ip ?? '');
    } catch (err) {
      if (!(err instanceof LoginFailedError)) throw err;
      // The username only when it names a user: people type passwords into it.
      const username = ctx.claimed.safe(form.username ?? '', err.userId !== null);
      ctx.audit.record({
        type: 'login.failed', actor: { type: 'anonymous', id: null }, subject: err.userId, client_id: client.client_id,
        detail: username.fingerprint ? { username_fingerprint: username.fingerprint } : { username: username.value },
      });
      if (err.retryAfterSeconds) res.set('Retry-After', String(err.retryAfterSeconds));
      setPageHeaders(res, request.redirect_uri);
      res.status(401).send(loginPage({ clientName: client.name, requestId: request.id, csrf: form.csrf!, username: form.username, error: err.message }));
      return;
    }
    ctx.audit.record({ type: 'login.succeeded', actor: { type: 'user', id: user.id }, subject: user.id, client_id: client.client_id });
    const scopes = userGrantScopes(request.scopes, client, await ctx.users.scopesOf(user));
    if (request.scopes.length > 0 && scopes.length === 0) {
      await ctx.store.authorizationRequests.delete(request.id);
      return redirectBack(res, request.redirect_uri, { error: 'invalid_scope', error_description: 'none of the requested scopes can be granted to this user', state: request.state });
    }
    const signedIn: AuthorizationRequestRecord = { ...request, user_id: user.id, auth_time: Math.floor(Date.now() / 1000), scopes };
    if (!client.third_party) return issueCode(res, signedIn);
    await ctx.store.authorizationRequests.put(signedIn);
    setPageHeaders(res, request.redirect_uri);
    res.status(200).send(consentPage({ clientName: client.name, username: user.username, scopes, requestId: request.id, csrf: form.csrf! }));
  });

  router.post('/oauth/authorize/consent', formBody, async (req, res) => {
    const p = await pending(req, res);
    if (!p) return;
    const { request, form } = p;
    if (!request.user_id) return showError(res, 400, EXPIRED);
    if (form.decision !== 'approve') {
      await ctx.store.authorizationRequests.delete(request.id);
      return redirectBack(res, request.redirect_uri, { error: 'access_denied', error_description: 'the user denied the request', state: request.state });
    }
    await issueCode(res, request);
  });

  router.all('/oauth/authorize', onlyMethods('GET'));
  router.all('/oauth/authorize/login', onlyMethods('POST'));
  router.all('/oauth/authorize/consent', onlyMethods('POST'));
  return router;
}
