/**
 * Token-endpoint, introspection and revocation calls against a running
 * server process (fetch, no supertest), for the tests that run several
 * Tessera processes or ride out a Redis failover. Every answer is kept with
 * its status and parsed body, so a test can show which ones failed and how.
 */

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  /** When the answer arrived (ms since the epoch) and how long it took. */
  at: number;
  ms: number;
}

export const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POSTs a form with HTTP Basic client authentication; a network failure is status 0 (the process is gone or hangs). */
export async function postForm(url: string, client: { id: string; secret: string }, form: Record<string, string>, timeoutMs = 20_000): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: basic(client.id, client.secret), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { unparsed: text.slice(0, 200) };
    }
    const at = Date.now();
    return { status: res.status, body, retryAfter: res.headers.get('retry-after'), at, ms: at - started };
  } catch (err) {
    const at = Date.now();
    return { status: 0, body: { network_error: String(err) }, retryAfter: null, at, ms: at - started };
  }
}

export interface TokenServer {
  url: string;
}

export const clientCredentials = (server: TokenServer, client: { id: string; secret: string }, extra: Record<string, string> = {}): Promise<Answer> =>
  postForm(`${server.url}/oauth/token`, client, { grant_type: 'client_credentials', ...extra });

export const introspect = (server: TokenServer, client: { id: string; secret: string }, token: string): Promise<Answer> =>
  postForm(`${server.url}/oauth/introspect`, client, { token });

export const revoke = (server: TokenServer, client: { id: string; secret: string }, token: string): Promise<Answer> =>
  postForm(`${server.url}/oauth/revoke`, client, { token });

export const refresh = (server: TokenServer, client: { id: string; secret: string }, token: string): Promise<Answer> =>
  postForm(`${server.url}/oauth/token`, client, { grant_type: 'refresh_token', refresh_token: token });

/** The answer a request may give while the store switches primaries: 503 temporarily_unavailable with Retry-After. */
export function isUnavailable(a: Answer): boolean {
  return a.status === 503 && a.body.error === 'temporarily_unavailable' && a.retryAfter !== null;
}

/** Status counts, e.g. `{200: 40, 503: 3}`, for failure messages and logs. */
export function statusCounts(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/**
 * Introspects every token, alternating between `servers`, a few at a time:
 * each call verifies the client's secret, and a secret chosen by a person is
 * checked with scrypt, whose bounded queue answers 503 once too many wait.
 */
export async function introspectEach(servers: readonly TokenServer[], client: { id: string; secret: string }, tokens: readonly string[], atOnce = 4): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < tokens.length; i += atOnce) {
    answers.push(...await Promise.all(tokens.slice(i, i + atOnce).map((t, j) => introspect(servers[(i + j) % servers.length]!, client, t))));
  }
  return answers;
}

/** An access token with scope tessera:admin for the first admin client (`tessera-admin`); throws on any other answer. */
export async function adminAccessToken(server: TokenServer, adminSecret: string): Promise<string> {
  const res = await clientCredentials(server, { id: 'tessera-admin', secret: adminSecret }, { scope: 'tessera:admin' });
  if (res.status !== 200 || typeof res.body.access_token !== 'string') throw new Error(`no admin token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}
