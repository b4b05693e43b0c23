/**
 * API tokens (`tsp_...`) are opaque, so they are checked by RFC 7662
 * introspection at Tessera. The answer is cached for `cacheMs`, keyed by the
 * SHA-256 of the token (a dump of the cache gives away no usable secret)
 * and the client address (the server applies the token's IP allowlist to
 * `client_ip`, so an answer for one address says nothing about another).
 */
import { createHash } from 'node:crypto';
import { parseOpaqueToken } from '../core/tokens/opaque-token.js';
import { invalidToken, serverError, unavailable } from './bearer-errors.js';
import { TtlCache } from './ttl-cache.js';

export interface ApiTokenAnswer {
  active: true;
  token_type: 'api_token';
  sub: string;
  /** The API token's id, `tok_...`. */
  jti: string;
  scope?: string;
  exp?: number;
  iat?: number;
  rate_limit?: { requests: number; per_seconds: number };
  [member: string]: unknown;
}

export interface IntrospectionClientOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  cacheMs: number;
  cacheSize: number;
  timeoutMs: number;
  onError: (err: unknown) => void;
  nowMs?: () => number;
  /** The scopes this resource server requires, reported so that Tessera counts them as exercised (its least-privilege report). */
  scopes?: readonly string[];
}

/** RFC 6749 §2.3.1: client_id and secret are each form-urlencoded (Appendix B) before Basic encoding. */
export function basicCredentials(clientId: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** Whether `token` is shaped like an API token, its checksum included (checked offline, before any request). */
export function isApiToken(token: string): boolean {
  return parseOpaqueToken(token) === 'api';
}

type Cached = ApiTokenAnswer | { active: false };

export class IntrospectionClient {
  readonly #cache: TtlCache<Cached>;
  readonly #now: () => number;
  readonly #auth: string;

  constructor(private readonly o: IntrospectionClientOptions) {
    this.#now = o.nowMs ?? Date.now;
    this.#cache = new TtlCache(o.cacheSize, this.#now);
    this.#auth = basicCredentials(o.clientId, o.clientSecret);
  }

  /** The active API token's answer, or throws a BearerError. */
  async check(token: string, clientIp: string | undefined, route: string | undefined): Promise<ApiTokenAnswer> {
    const key = `${createHash('sha256').update(token).digest('base64url')} ${clientIp ?? ''}`;
    let answer = this.#cache.get(key);
    if (!answer) {
      answer = await this.#introspect(token, clientIp, route);
      // Never past the token's own exp: an expired token is not cached as active.
      const untilExp = answer.active && answer.exp !== undefined ? answer.exp * 1000 - this.#now() : Infinity;
      this.#cache.set(key, answer, Math.min(this.o.cacheMs, untilExp));
    }
    if (!answer.active) throw invalidToken('the token is not active');
    if (answer.exp !== undefined && answer.exp * 1000 <= this.#now()) throw invalidToken('the token has expired');
    return answer;
  }

  async #introspect(token: string, clientIp: string | undefined, route: string | undefined): Promise<Cached> {
    const form = new URLSearchParams({ token });
    if (clientIp) form.set('client_ip', clientIp);
    // Tessera counts uses per route (README, "Usage"); it takes 1-200 printable ASCII characters.
    if (route) form.set('route', route.replace(/[^\x20-\x7E]/g, '?').slice(0, 200));
    if (this.o.scopes?.length) form.set('scope', this.o.scopes.join(' '));
    let res: Response;
    let body: unknown;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: { Authorization: this.#auth, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
        redirect: 'error',
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      this.o.onError(err);
      throw unavailable('the token could not be checked; retry shortly');
    }
    if (res.status >= 500 || res.status === 429) {
      this.o.onError(new Error(`introspection answered ${res.status}`));
      throw unavailable('the token could not be checked; retry shortly');
    }
    if (res.status !== 200 || typeof body !== 'object' || body === null) {
      // Wrong introspection credentials or URL: the operator's mistake, not the caller's.
      this.o.onError(new Error(`introspection answered ${res.status}: ${JSON.stringify(body)}`));
      throw serverError('the token could not be checked');
    }
    const a = body as Record<string, unknown>;
    if (a.active !== true) return { active: false };
    if (a.token_type !== 'api_token' || typeof a.sub !== 'string' || typeof a.jti !== 'string' ||
        (a.scope !== undefined && typeof a.scope !== 'string') || (a.exp !== undefined && typeof a.exp !== 'number')) {
      return { active: false };
    }
    return a as ApiTokenAnswer;
  }

  close(): void {
    this.#cache.clear();
  }
}
