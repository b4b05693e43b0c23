/**
 * The CLI's use of the generated client (src/client/tessera-client.ts): one
 * call at a time, its answer unwrapped to the data or turned into an
 * ApiError carrying the server's `error` and `error_description`. The
 * generated client throws what fetch throws when the server cannot be
 * reached; those become `unreachable` here, so every failure to talk to the
 * server is exit code 1 with a message a person can act on.
 */
import { createTesseraClient, TokenRequestError, type TesseraClient } from '../client/tessera-client.js';
import { ApiError } from './cli-errors.js';
import type { Connection } from './connection.js';

const TIMEOUT_MS = 30_000;

/** What every openapi-fetch call answers. */
interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** Where the credentials the CLI sent came from, and what to do when the server refuses them (for `invalid_client`). */
export interface CredentialsOrigin {
  from: string;
  fix: string;
}

/** The origin of a resolved connection's credentials (src/cli/connection.ts): the environment, or the saved login. */
export function credentialsOrigin(conn: Pick<Connection, 'url' | 'source'>): CredentialsOrigin {
  if (conn.source.credentials === 'environment') {
    return { from: 'TESSERA_CLIENT_ID and TESSERA_CLIENT_SECRET in the environment', fix: 'check them, or unset both to use the login saved by tessera login' };
  }
  return {
    from: `the login saved in ${conn.source.credentials}`,
    fix: `the secret may have been rotated, or the server restarted on the in-memory store; run tessera login --url ${conn.url} again`,
  };
}

export class AdminApi {
  readonly client: TesseraClient;
  private readonly origin: string;

  constructor(
    private readonly conn: Pick<Connection, 'url' | 'clientId' | 'clientSecret'>,
    private readonly credentials?: CredentialsOrigin,
  ) {
    this.client = createTesseraClient({ url: conn.url, clientId: conn.clientId, clientSecret: conn.clientSecret, timeoutMs: TIMEOUT_MS });
    this.origin = new URL(conn.url).origin;
  }

  /** One call whose success carries a body: answers it. `signal` is the caller's own cancel (its reason is thrown as is). */
  async call<D>(send: (c: TesseraClient) => Promise<Answer<D>>, signal?: AbortSignal): Promise<NonNullable<D>> {
    const { data, response } = await this.send(send, signal);
    if (data === undefined || data === null) {
      throw new ApiError('invalid_response', `${pathOf(response)} answered ${response.status} without a body; is --url a Tessera server?`);
    }
    return data;
  }

  /** One call answered as text (parseAs: 'text'); an empty body is the empty string. */
  async callText(send: (c: TesseraClient) => Promise<Answer<string>>): Promise<string> {
    const { data } = await this.send(send);
    return data ?? '';
  }

  /** One call whose success has no body (204). */
  async callNoContent(send: (c: TesseraClient) => Promise<Answer<unknown>>): Promise<void> {
    await this.send(send);
  }

  private async send<D>(send: (c: TesseraClient) => Promise<Answer<D>>, signal?: AbortSignal): Promise<Answer<D>> {
    let answer: Answer<D>;
    try {
      answer = await send(this.client);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw this.failure(e);
    }
    const { response } = answer;
    if (response.ok) return answer;
    // redirect: 'manual' in the client, so credentials are never replayed elsewhere; say where it pointed.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      throw new ApiError('unexpected_redirect', `${pathOf(response)} was redirected to ${response.headers.get('location') ?? '?'}; check --url`);
    }
    const e = answer.error as { error?: unknown; error_description?: unknown } | undefined;
    if (e && typeof e === 'object' && typeof e.error === 'string') {
      throw new ApiError(e.error, typeof e.error_description === 'string' ? e.error_description : '');
    }
    throw new ApiError(`http_${response.status}`, `${pathOf(response)} answered ${response.status} ${response.statusText}; is --url a Tessera server?`);
  }

  /**
   * What went wrong before any answer: the token endpoint's refusal, no
   * connection, no answer in time, no JSON. Told apart by name, not
   * instanceof: fetch's errors may come from another realm (a test VM).
   */
  private failure(e: unknown): unknown {
    if (e instanceof TokenRequestError) {
      if (e.error !== 'invalid_client' || !this.credentials) return new ApiError(e.error, e.description);
      // The usual first-hour mistake: say which credentials were sent, from where, and what to do.
      const { from, fix } = this.credentials;
      return new ApiError(e.error, `${e.description.replace(/\.?$/, '.')} The CLI authenticated as "${this.conn.clientId}" with ${from}: ${fix}.`);
    }
    const { name, message, cause } = (typeof e === 'object' && e !== null ? e : {}) as { name?: unknown; message?: unknown; cause?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ApiError('unreachable', `no answer from ${this.origin} within ${TIMEOUT_MS / 1000} s`);
    }
    if (name === 'SyntaxError') return new ApiError('invalid_response', `${this.origin} answered something that is not JSON; is --url a Tessera server?`);
    if (name === 'TypeError' && message === 'fetch failed') {
      // fetch hides the real cause (ECONNREFUSED, ENOTFOUND, a TLS error) one level down.
      const c = cause as { code?: string; message?: string } | undefined;
      return new ApiError('unreachable', `cannot reach ${this.origin}: ${c?.code ?? c?.message ?? message}`);
    }
    return e;
  }
}

function pathOf(response: Response): string {
  try {
    return new URL(response.url).pathname;
  } catch {
    return 'the server';
  }
}
