/**
 * Revocations learned by polling Tessera's signed feed
 * (`GET /oauth/revocations?since=CURSOR`, src/http/routes/revocations.ts).
 *
 * Guarantee: a token revoked at Tessera is refused here at most one poll
 * interval (plus one feed round trip) after its revocation, as long as polls
 * succeed. The first poll starts at creation and nothing is decided before
 * it has succeeded (503 until then); after `maxStaleMs` without a successful
 * poll the promise can no longer be kept, so requests get 503 again rather
 * than a possibly revoked token being accepted.
 *
 * Each page is a JWT (`typ: revocations+jwt`) checked against the same JWKS
 * as the access tokens, so a man in the middle of a plain-HTTP feed cannot
 * hide a revocation by rewriting the page. `If-None-Match` makes an idle
 * poll a 304 (RFC 9110 §13.1.2); `more: true` means ask again at once.
 */
import { jwtVerify } from 'jose';
import { unavailable } from './bearer-errors.js';
import { ALGORITHMS, type RemoteJwks } from './jwt-verifier.js';
import type { RevocationQuery, RevocationSource } from './revocation-check.js';
import { parseFeedClaims, RevocationSet } from './revocation-set.js';

export interface FeedPollerOptions {
  feedUrl: string;
  issuer: string;
  jwks: RemoteJwks;
  pollIntervalMs: number;
  maxStaleMs: number;
  timeoutMs: number;
  clockToleranceSeconds: number;
  onError: (err: unknown) => void;
  nowMs?: () => number;
}

/** A server that keeps saying `more` without moving its cursor must not keep us looping. */
const MAX_PAGES_PER_POLL = 1000;

export class FeedRevocations implements RevocationSource {
  readonly #set: RevocationSet;
  readonly #now: () => number;
  #cursor: string | null = null;
  #etag: string | null = null;
  #lastSuccessMs: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #abort: AbortController | null = null;
  #closed = false;

  constructor(private readonly o: FeedPollerOptions) {
    this.#now = o.nowMs ?? Date.now;
    this.#set = new RevocationSet(o.clockToleranceSeconds, this.#now);
    this.#running = this.#run();
  }

  /** Settles when the first poll has succeeded, or rejects with why the latest attempt failed. */
  async ready(): Promise<void> {
    await this.#running;
    if (this.#lastSuccessMs === null) throw unavailable('the revocation feed has not been read yet; retry shortly');
  }

  async isRevoked(q: RevocationQuery): Promise<boolean> {
    // Until the first poll succeeds, wait for the attempt under way rather than decide blind.
    if (this.#lastSuccessMs === null) await this.ready();
    if (this.#now() - this.#lastSuccessMs! > this.o.maxStaleMs) {
      throw unavailable('the revocation feed could not be read for too long; retry shortly');
    }
    return this.#set.has(q);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort?.abort();
    await this.#running?.catch(() => undefined);
  }

  /** One poll (all its pages), then the next one scheduled; never rejects. */
  async #run(): Promise<void> {
    try {
      await this.#poll();
    } catch (err) {
      if (!this.#closed) this.o.onError(err);
    }
    if (this.#closed) return;
    // setTimeout after each poll rather than setInterval: a slow feed never makes polls overlap.
    this.#timer = setTimeout(() => { this.#running = this.#run(); }, this.o.pollIntervalMs);
    // Polling alone must not keep the process alive.
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    // What we know is as of when we asked, so staleness counts from the start.
    const startedAt = this.#now();
    for (let page = 0; page < MAX_PAGES_PER_POLL && !this.#closed; page++) {
      const before = this.#cursor;
      const more = await this.#page();
      if (!more || this.#cursor === before) break;
    }
    this.#set.prune();
    if (!this.#closed) this.#lastSuccessMs = startedAt;
  }

  /** Fetches and merges one page; returns its `more`. */
  async #page(): Promise<boolean> {
    const url = new URL(this.o.feedUrl);
    if (this.#cursor !== null) url.searchParams.set('since', this.#cursor);
    const headers: Record<string, string> = { Accept: 'application/jwt' };
    if (this.#etag !== null) headers['If-None-Match'] = this.#etag;
    this.#abort = new AbortController();
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.o.timeoutMs)]);
    const res = await fetch(url, { headers, signal, redirect: 'error' });
    const body = await res.text();
    if (res.status === 304) return false;
    if (res.status === 400 && this.#cursor !== null) {
      // Our cursor is no longer one the server knows: start again from the whole live set (merging is idempotent).
      this.#cursor = null;
      this.#etag = null;
      return true;
    }
    if (res.status !== 200) throw new Error(`the revocation feed answered ${res.status}`);
    const { payload } = await jwtVerify(body.trim(), this.o.jwks, {
      typ: 'revocations+jwt',
      issuer: this.o.issuer,
      algorithms: ALGORITHMS,
      clockTolerance: this.o.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
    const claims = parseFeedClaims(payload);
    if (!claims) throw new Error('the revocation feed page is malformed');
    this.#set.merge(claims);
    if (claims.cursor !== null) this.#cursor = claims.cursor;
    this.#etag = res.headers.get('etag');
    return claims.more;
  }
}
