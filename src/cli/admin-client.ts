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
  /** Cancels the request (on top of the client's own timeout); the abort reason is thrown as is. */
  signal?: AbortSignal;
}

const TIMEOUT_MS = 30_000;

export class AdminClient {
  private accessToken: string | undefined;

  constructor(private readonly conn: Connection) {}

  /** Sends a bearer request to the admin API and answers the parsed JSON body. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.send<T>(method, this.url(path, opts), await this.bearerInit(opts, 'application/json'));
  }

  /**
   * Like request(), for answers that are not one JSON document (an NDJSON
   * export): answers the body as text. Errors are mapped as for request().
   */
  async requestText(method: string, path: string, opts: RequestOptions & { accept?: string } = {}): Promise<string> {
    return (await this.answer(method, this.url(path, opts), await this.bearerInit(opts, opts.accept ?? '*/*'))).text;
  }

  private url(path: string, opts: RequestOptions): URL {
    const url = new URL(this.conn.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async bearerInit(opts: RequestOptions, accept: string): Promise<SendInit> {
    const token = await this.token();
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: accept };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    return { headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal };
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

  private async send<T>(method: string, url: URL, init: SendInit): Promise<T> {
    const { status, body } = await this.answer(method, url, init);
    if (body === undefined) throw new AdminApiError('invalid_response', `${method} ${url.pathname} answered ${status} without a JSON body`);
    return body as T;
  }

  /** Sends one request; answers its body as text (and parsed, when it is JSON) or throws the server's error. */
  private async answer(method: string, url: URL, init: SendInit): Promise<{ status: number; text: string; body: unknown }> {
    const { signal: caller, ...rest } = init;
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    let res: Response;
    let text: string;
    try {
      // redirect: manual, so credentials are never replayed to wherever a redirect points.
      res = await fetch(url, { method, ...rest, redirect: 'manual', signal: caller ? AbortSignal.any([caller, timeout]) : timeout });
      text = await res.text();
    } catch (e) {
      if (caller?.aborted) throw caller.reason;
      throw new AdminApiError('unreachable', `cannot reach ${url.origin}: ${connectionProblem(e)}`);
    }
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
    return { status: res.status, text, body };
  }
}

interface SendInit {
  headers: Record<string, string>;
  body: string | undefined;
  signal?: AbortSignal;
}

/** fetch hides the real cause (ECONNREFUSED, ENOTFOUND, a timeout) one level down. */
function connectionProblem(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
