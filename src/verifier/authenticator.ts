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

export interface Presented {
  token: string;
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
  ) {}

  /** The verified token, or throws a BearerError. */
  async authenticate(p: Presented): Promise<VerifiedToken> {
    if (looksLikeJwt(p.token)) return this.#jwt(p.token);
    if (isApiToken(p.token)) return this.#apiToken(p);
    throw invalidToken('the token is malformed');
  }

  async #jwt(token: string): Promise<VerifiedToken> {
    const claims = await this.jwt.verify(token);
    const ids = [claims.jti];
    // A JWT exchanged from an API token dies with that API token.
    if (claims.api_token_id !== undefined) ids.push(apiTokenRevocationId(claims.api_token_id));
    if (await this.revocations?.isRevoked({ ids, sub: claims.sub, iat: claims.iat })) {
      throw invalidToken('the token has been revoked');
    }
    return { token_type: 'jwt', sub: claims.sub, client_id: claims.client_id, scope: claims.scope, jti: claims.jti, claims };
  }

  async #apiToken(p: Presented): Promise<VerifiedToken> {
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
