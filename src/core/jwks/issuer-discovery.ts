/**
 * Where an external issuer publishes its keys, by OpenID Connect Discovery
 * 1.0 §4: `${issuer}/.well-known/openid-configuration`, whose `issuer` must
 * be exactly the one asked about (§4.3) and whose `jwks_uri` must be a URL
 * Tessera may fetch. GitHub Actions and Kubernetes both publish one.
 * Answers are cached like key sets (10 minutes; a failure is not cached).
 */
import { DEFAULT_FETCH_LIMITS, fetchJsonObject, FetchFailedError, type FetchLimits } from './fetch-json.js';
import { outboundUrlProblem } from './outbound-url.js';

export class IssuerDiscovery {
  readonly #cache = new Map<string, { jwksUri: string; at: number }>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(
    private readonly cacheMs = 10 * 60_000,
    private readonly limits: FetchLimits = DEFAULT_FETCH_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1000,
  ) {}

  async jwksUri(issuer: string): Promise<string> {
    const cached = this.#cache.get(issuer);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.jwksUri;
    const pending = this.#pending.get(issuer);
    if (pending) return pending;
    const p = this.#discover(issuer).finally(() => this.#pending.delete(issuer));
    this.#pending.set(issuer, p);
    return p;
  }

  async #discover(issuer: string): Promise<string> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const doc = await fetchJsonObject(url, this.limits);
    if (doc.issuer !== issuer) throw new FetchFailedError(url, 'its issuer is not the one asked about (OpenID Discovery §4.3)');
    const jwksUri = doc.jwks_uri;
    if (typeof jwksUri !== 'string') throw new FetchFailedError(url, 'it names no jwks_uri');
    const problem = outboundUrlProblem(jwksUri);
    if (problem) throw new FetchFailedError(url, `its jwks_uri ${problem}`);
    this.#cache.delete(issuer);
    this.#cache.set(issuer, { jwksUri, at: this.now() });
    if (this.#cache.size > this.maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    return jwksUri;
  }
}
