/**
 * A small client of the admin API for the CLI commands: resolves the server
 * URL and the admin client's credentials, gets an access token with the
 * client_credentials grant and sends bearer requests. Deliberately minimal:
 * it is to be replaced by a client generated from openapi.yaml.
 */

/** Bad usage (no URL, no credentials): exit code 2. */
export class UsageError extends Error {}

/** The server answered with an error, or could not be reached: exit code 1. */
export class AdminApiError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description ? `${error}: ${description}` : error);
  }
}

export interface Connection {
  url: string;
  clientId: string;
  clientSecret: string;
}

type Env = Record<string, string | undefined>;

/** `--url` wins over `TESSERA_URL`; neither is bad usage (no default: guessing a server is worse than asking). */
export function resolveConnection(urlOption: string | undefined, env: Env = process.env): Connection {
  const raw = urlOption || env.TESSERA_URL;
  if (!raw) throw new UsageError('no server URL: give --url <url> or set TESSERA_URL');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`--url / TESSERA_URL is not a URL: ${raw}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url / TESSERA_URL must be http(s): ${raw}`);
  const clientId = env.TESSERA_CLIENT_ID;
  const clientSecret = env.TESSERA_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new UsageError('no admin credentials: set TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET (a client with scope tessera:admin)');
  }
  // Keep a path prefix (a server behind a proxy at /tessera) but not a trailing slash, so paths join cleanly.
  return { url: parsed.href.replace(/\/+$/, ''), clientId, clientSecret };
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 requires inside Basic (so ':' in an id survives). */
const formEncode = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON when present; absent means no body at all. */
  body?: unknown;
}

const TIMEOUT_MS = 30_000;

export class AdminClient {
  private accessToken: string | undefined;

  constructor(private readonly conn: Connection) {}

  /** Sends a bearer request to the admin API and answers the parsed JSON body. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const token = await this.token();
    const url = new URL(this.conn.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    return this.send<T>(method, url, { headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  }

  private async token(): Promise<string> {
    if (this.accessToken) return this.accessToken;
    const basic = Buffer.from(`${formEncode(this.conn.clientId)}:${formEncode(this.conn.clientSecret)}`).toString('base64');
    const answer = await this.send<{ access_token?: unknown }>('POST', new URL(`${this.conn.url}/oauth/token`), {
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'grant_type=client_credentials&scope=tessera%3Aadmin',
    });
    if (typeof answer.access_token !== 'string') throw new AdminApiError('invalid_response', 'the token endpoint answered no access_token');
    this.accessToken = answer.access_token;
    return this.accessToken;
  }

  private async send<T>(method: string, url: URL, init: { headers: Record<string, string>; body: string | undefined }): Promise<T> {
    let res: Response;
    try {
      // redirect: manual, so credentials are never replayed to wherever a redirect points.
      res = await fetch(url, { method, ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new AdminApiError('unreachable', `cannot reach ${url.origin}: ${connectionProblem(e)}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status >= 300 && res.status < 400) {
      throw new AdminApiError('unexpected_redirect', `${method} ${url.pathname} was redirected to ${res.headers.get('location') ?? '?'}; check --url`);
    }
    if (!res.ok) {
      const e = body as { error?: unknown; error_description?: unknown } | undefined;
      if (e && typeof e.error === 'string') {
        throw new AdminApiError(e.error, typeof e.error_description === 'string' ? e.error_description : '');
      }
      throw new AdminApiError(`http_${res.status}`, `${method} ${url.pathname} answered ${res.status} ${res.statusText}; is --url a Tessera server?`);
    }
    if (body === undefined) throw new AdminApiError('invalid_response', `${method} ${url.pathname} answered ${res.status} without a JSON body`);
    return body as T;
  }
}

/** fetch hides the real cause (ECONNREFUSED, ENOTFOUND, a timeout) one level down. */
function connectionProblem(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
