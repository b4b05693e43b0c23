/**
 * Sign-in with Tessera itself: authorization code + PKCE S256 for the
 * built-in public client `tessera-console`. The refresh token never reaches
 * this script: /console/session keeps it in an HttpOnly cookie and answers
 * the access token, which lives in this module's memory only (no
 * localStorage, no sessionStorage). Only the PKCE verifier and the state
 * wait in sessionStorage during the round trip to the login page: they are
 * useless without the code, which comes back to this origin only.
 */
export const CLIENT_ID = 'tessera-console';
const SCOPES = 'tessera:admin tessera:tokens offline_access';
const PENDING = 'tessera-console-signin';

/** The issuer's path prefix ('' at the root), from where the console is served. */
export const BASE = location.pathname.replace(/\/console(\/.*)?$/, '');
export const ORIGIN = location.origin;
const SESSION = `${BASE}/console/session`;
const CSRF = { 'X-Tessera-Console': '1' };

let access: { token: string; renewAt: number; scopes: string[] } | null = null;
let pending: Promise<string> | null = null;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

export class SignedOut extends Error {
  constructor(message = 'signed out') {
    super(message);
  }
}

interface SessionAnswer { access_token: string; expires_in: number; scope: string }

function keep(answer: SessionAnswer): string {
  const lifetime = Math.max(answer.expires_in, 10) * 1000;
  // Renew a little early, so a token never expires in flight.
  access = { token: answer.access_token, renewAt: Date.now() + Math.max(lifetime - 30_000, lifetime / 2), scopes: answer.scope.split(' ').filter(Boolean) };
  return answer.access_token;
}

async function post(url: string, body?: unknown): Promise<SessionAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? CSRF : { ...CSRF, 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!res.ok) {
    const e = (await res.json().catch(() => ({}))) as { error_description?: string };
    throw new SignedOut(e.error_description ?? `sign-in failed (${res.status})`);
  }
  return (await res.json()) as SessionAnswer;
}

/** Goes to Tessera's login page; comes back to /console/callback. */
export async function signIn(): Promise<void> {
  const verifier = random(32);
  const state = random(16);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(`${ORIGIN}${BASE}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${ORIGIN}${BASE}/console/callback`,
    scope: SCOPES, state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** On /console/callback: redeems the code; then the address bar no longer shows it. */
export async function completeSignIn(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${BASE}/console#/`);
  const error = params.get('error');
  if (error) throw new SignedOut(params.get('error_description') ?? error);
  const { verifier, state } = saved ? (JSON.parse(saved) as { verifier: string; state: string }) : { verifier: '', state: '' };
  // RFC 6749 §10.12: the state must be the one this browser sent.
  if (!saved || params.get('state') !== state) throw new SignedOut('the sign-in answer does not belong to this browser; sign in again');
  keep(await post(SESSION, { code: params.get('code') ?? '', code_verifier: verifier }));
}

/** An access token, refreshed through the cookie when it is due (one refresh at a time: refresh tokens rotate). */
export function accessToken(): Promise<string> {
  if (access && Date.now() < access.renewAt) return Promise.resolve(access.token);
  pending ??= post(`${SESSION}/refresh`).then(keep).catch((err: unknown) => {
    access = null;
    throw err instanceof SignedOut ? err : new SignedOut(String(err));
  }).finally(() => { pending = null; });
  return pending;
}

export function grantedScopes(): string[] {
  return access?.scopes ?? [];
}

/** Revokes the refresh token (and with it the session), forgets the access token. */
export async function signOut(): Promise<void> {
  access = null;
  await fetch(SESSION, { method: 'DELETE', credentials: 'same-origin', headers: CSRF });
}
