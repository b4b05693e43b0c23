/**
 * Validates GET /oauth/authorize (RFC 6749 §4.1.1, PKCE RFC 7636) in the
 * order the RFC needs: problems with the client or the redirect URI are
 * shown to the user and never redirected (§4.1.2.1, §10.15); every later
 * problem goes back to the client's redirect URI as an error.
 */
import type { ClientRecord, Store } from '../../store/store.js';
import { parseScopeParam } from '../scopes.js';
import { InvalidScopeError } from '../errors.js';

/** Shown on our own page; the browser is never sent anywhere. */
export class AuthorizePageError extends Error {}

/** Sent back to the client's redirect URI (RFC 6749 §4.1.2.1). */
export class AuthorizeRedirectError extends Error {
  constructor(readonly code: string, message: string, readonly redirectUri: string, readonly state: string | null) {
    super(message);
  }
}

export interface ValidAuthorizeRequest {
  client: ClientRecord;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string;
}

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function single(query: Record<string, unknown>, name: string): string | undefined | null {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' ? v : null; // null: repeated or structured
}

export async function validateAuthorizeRequest(store: Store, query: Record<string, unknown>): Promise<ValidAuthorizeRequest> {
  const clientId = single(query, 'client_id');
  if (clientId === null) throw new AuthorizePageError('client_id is repeated.');
  if (clientId === undefined) throw new AuthorizePageError('The request names no client (client_id is missing).');
  const client = clientId.length <= 128 ? await store.clients.get(clientId) : null;
  if (!client) throw new AuthorizePageError('The application that sent you here is not registered.');

  const asked = single(query, 'redirect_uri');
  if (asked === null) throw new AuthorizePageError('redirect_uri is repeated.');
  let redirectUri: string;
  if (asked === undefined) {
    // RFC 6749 §3.1.2.3: may be omitted only when exactly one is registered.
    if (client.redirect_uris.length !== 1) throw new AuthorizePageError('The request names no redirect_uri.');
    redirectUri = client.redirect_uris[0]!;
  } else {
    // RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: exact string match, no patterns.
    if (!client.redirect_uris.includes(asked)) throw new AuthorizePageError('The redirect_uri is not registered for this application.');
    redirectUri = asked;
  }

  const state = single(query, 'state');
  const fail = (code: string, message: string): never => {
    throw new AuthorizeRedirectError(code, message, redirectUri, typeof state === 'string' ? state : null);
  };
  // RFC 6749 §3.1: parameters MUST NOT be included more than once.
  for (const name of ['response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    if (single(query, name) === null) fail('invalid_request', `${name} is repeated`);
  }
  const responseType = single(query, 'response_type');
  // RFC 6749 §4.1.2.1: a missing required parameter is invalid_request; another value is unsupported.
  if (responseType === undefined) fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') fail('unsupported_response_type', 'response_type must be code');
  if (!client.grant_types.includes('authorization_code')) fail('unauthorized_client', 'this client may not use the authorization code grant');

  const challenge = single(query, 'code_challenge');
  // RFC 9700 §2.1.1: PKCE for every client; RFC 7636 §4.3: no method means plain, which we refuse.
  if (!challenge) fail('invalid_request', 'code_challenge is required (PKCE, S256)');
  if (single(query, 'code_challenge_method') !== 'S256') fail('invalid_request', 'code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(challenge!)) fail('invalid_request', 'code_challenge must be 43 base64url characters');

  let requested: string[] | null;
  try {
    requested = parseScopeParam(single(query, 'scope') ?? undefined);
  } catch (err) {
    if (err instanceof InvalidScopeError) fail('invalid_scope', err.message);
    throw err;
  }
  const clientScopes = new Set(client.scopes);
  const scopes = (requested ?? client.default_scopes ?? client.scopes).filter((s) => clientScopes.has(s));
  if (requested && scopes.length === 0) fail('invalid_scope', 'none of the requested scopes is allowed for this client');
  return { client, redirectUri, scopes, state: typeof state === 'string' ? state : null, codeChallenge: challenge! };
}

/**
 * The client's redirect URI with the answer's parameters added (RFC 6749
 * §4.1.2, RFC 9207 `iss`). The registered URI is kept byte for byte: RFC 6749
 * §3.1.2 says its query "MUST be retained", so it is appended to, never
 * re-serialised (URL.searchParams would rewrite `%20` as `+`, `?flag` as `?flag=`).
 */
export function redirectWith(redirectUri: string, params: Record<string, string | null>): string {
  const added = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) added.append(k, v);
  // RFC 6749 §3.1.2: registered URIs have no fragment; never put the answer after one anyway.
  const hash = redirectUri.indexOf('#');
  const base = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const text = added.toString();
  if (!text) return base;
  const q = base.indexOf('?');
  const sep = q === -1 ? '?' : q === base.length - 1 || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${text}`;
}
