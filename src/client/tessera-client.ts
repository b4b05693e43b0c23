/**
 * The typed client of Tessera's HTTP API: openapi-fetch over the types that
 * openapi-typescript generates from openapi.yaml at build time
 * (`npm run generate`, into src/client/generated/, never edited by hand).
 * Calls to the admin API and /v1/me carry a bearer token that the client gets
 * itself with the client_credentials grant and renews before it expires.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

export type { paths, components, operations } from './generated/openapi.js';
export type TesseraClient = Client<paths>;

export interface TesseraClientOptions {
  /** Base URL of the server, e.g. `http://localhost:8080` (a path prefix is kept). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Scope asked for at the token endpoint (default `tessera:admin`). */
  scope?: string;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

/** The token endpoint refused the client's credentials, or answered no token. */
export class TokenRequestError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'TokenRequestError';
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 requires inside Basic (so ':' in an id survives). */
const formEncode = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);

/** Renew this long before `expires_in` runs out, so a token never expires in flight. */
const RENEW_EARLY_MS = 30_000;

function baseClient(options: { url: string; timeoutMs?: number; fetch?: typeof fetch }): TesseraClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return createClient<paths>({
    baseUrl: options.url.replace(/\/+$/, ''),
    // Credentials are never replayed to wherever a redirect points.
    redirect: 'manual',
    fetch: (request: Request) => (options.fetch ?? fetch)(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) }),
  });
}

export interface TesseraBearerClientOptions {
  /** Base URL of the server; in a browser on the server's own origin, e.g. `location.origin`. */
  url: string;
  /** The access token to send (e.g. one from a user's sign-in), asked for before each call to the admin API or /v1/me. */
  accessToken: () => Promise<string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The same typed client with a bearer token the caller holds, e.g. the web
 * console's user token: no client credentials involved.
 */
export function createTesseraBearerClient(options: TesseraBearerClientOptions): TesseraClient {
  const client = baseClient(options);
  client.use({
    async onRequest({ request, schemaPath }) {
      if (!schemaPath.startsWith('/admin/') && !schemaPath.startsWith('/v1/me')) return undefined;
      request.headers.set('Authorization', `Bearer ${await options.accessToken()}`);
      return request;
    },
  });
  return client;
}

export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  const client = baseClient(options);
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const requestToken = async (): Promise<string> => {
    // btoa, not Buffer: this module also runs in browsers (the console bundles it); the text is ASCII once form-encoded.
    const basic = btoa(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`);
    const { data, error, response } = await client.POST('/oauth/token', {
      body: { grant_type: 'client_credentials', scope: options.scope ?? 'tessera:admin' },
      bodySerializer: (body) => new URLSearchParams({ grant_type: body.grant_type, scope: body.scope ?? '' }).toString(),
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    if (!data) {
      const e = error as { error?: unknown; error_description?: unknown } | undefined;
      if (e && typeof e.error === 'string') {
        throw new TokenRequestError(e.error, typeof e.error_description === 'string' ? e.error_description : '');
      }
      throw new TokenRequestError(`http_${response.status}`, `the token endpoint answered ${response.status}`);
    }
    const lifetimeMs = (typeof data.expires_in === 'number' ? data.expires_in : 60) * 1000;
    cached = { token: data.access_token, renewAt: Date.now() + Math.max(lifetimeMs - RENEW_EARLY_MS, lifetimeMs / 2) };
    return data.access_token;
  };

  const bearer = async (): Promise<string> => {
    if (cached && Date.now() < cached.renewAt) return cached.token;
    // Concurrent calls share one token request.
    pending ??= requestToken().finally(() => { pending = undefined; });
    return pending;
  };

  const auth: Middleware = {
    async onRequest({ request, schemaPath }) {
      if (!schemaPath.startsWith('/admin/') && !schemaPath.startsWith('/v1/me')) return undefined;
      request.headers.set('Authorization', `Bearer ${await bearer()}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}
