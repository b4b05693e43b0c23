/**
 * Turns a bearer token into a VerifiedToken, whichever kind it is: a JWT
 * access token (RFC 9068, verified locally, then checked against the
 * revocation source), or an API token (`tsp_`, introspected per RFC 7662).
 * Anything else is refused here, before any network or Redis round trip.
 */
import { invalidToken } from './bearer-errors.js';
import { isApiToken, type IntrospectionClient } from './introspection-client.js';
import { looksLikeJwt, type JwtVerifier } from './jwt-verifier.js';
import { apiTokenRevocationId, type RevocationSource } from './revocation-check.js';
import type { VerifiedToken } from './verified-token.js';
import type { DpopCheck, DpopRequest } from './dpop-check.js';

export interface Presented {
  token: string;
  /** The Authorization scheme the token came with. */
  scheme: 'Bearer' | 'DPoP';
  /** The request as the client addressed it, and its DPoP header, for bound tokens. */
  dpop: DpopRequest;
  /** The address the token reached us from, as Express sees it (`req.ip`; mind `trust proxy`). */
  clientIp: string | undefined;
  /** e.g. `GET /orders/:id`, reported to Tessera's per-route usage counts. */
  route: string | undefined;
}

export class Authenticator {
  constructor(
    private readonly jwt: JwtVerifier,
    private readonly revocations: RevocationSource | null,
    private readonly introspection: IntrospectionClient | null,
    private readonly dpop: DpopCheck,
    /** Accept DPoP-bound tokens only. */
    private readonly dpopRequired: boolean,
  ) {}

  /** The verified token, or throws a BearerError. */
  async authenticate(p: Presented): Promise<VerifiedToken> {
    const dpopChallenge = this.dpopRequired || p.scheme === 'DPoP';
    if (looksLikeJwt(p.token)) return this.#jwt(p);
    if (isApiToken(p.token)) return this.#apiToken(p);
    throw invalidToken('the token is malformed', dpopChallenge);
  }

  async #jwt(p: Presented): Promise<VerifiedToken> {
    const claims = await this.jwt.verify(p.token);
    const jkt = claims.cnf?.jkt;
    // RFC 9449 §7.2: a bound token is never accepted as a bearer token; an unbound one is not a DPoP token.
    if (jkt !== undefined && p.scheme !== 'DPoP') throw invalidToken('this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof', true);
    if (jkt === undefined) this.#refuseUnbound(p);
    const ids = [claims.jti];
    // A JWT exchanged from an API token dies with that API token.
    if (claims.api_token_id !== undefined) ids.push(apiTokenRevocationId(claims.api_token_id));
    if (await this.revocations?.isRevoked({ ids, sub: claims.sub, iat: claims.iat })) {
      throw invalidToken('the token has been revoked', jkt !== undefined || this.dpopRequired);
    }
    if (jkt !== undefined) await this.dpop.verify(p.dpop, p.token, jkt);
    return { token_type: 'jwt', sub: claims.sub, client_id: claims.client_id, scope: claims.scope, jti: claims.jti, claims };
  }

  /** A bearer token: refused with the DPoP scheme, or when only DPoP-bound tokens are accepted. */
  #refuseUnbound(p: Presented): void {
    if (p.scheme === 'DPoP') throw invalidToken('this token is not DPoP-bound: send it with the Bearer scheme', true);
    if (this.dpopRequired) throw invalidToken('only DPoP-bound tokens are accepted here', true);
  }

  async #apiToken(p: Presented): Promise<VerifiedToken> {
    // API tokens are never bound to a key (RFC 9449 binds what a token request issues).
    this.#refuseUnbound(p);
    if (!this.introspection) throw invalidToken('API tokens are not accepted here');
    const answer = await this.introspection.check(p.token, p.clientIp, p.route);
    // A cached answer may predate a revocation; the revocation source (when there is one) knows sooner.
    // Only the id: Tessera compares an API token with its owner's cut-off in ms, which `iat` cannot.
    if (await this.revocations?.isRevoked({ ids: [apiTokenRevocationId(answer.jti)], sub: null, iat: 0 })) {
      throw invalidToken('the token is not active');
    }
    return { token_type: 'api_token', sub: answer.sub, scope: answer.scope ?? '', jti: answer.jti, claims: answer };
  }
}
