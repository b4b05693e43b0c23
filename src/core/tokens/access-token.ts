/**
 * JWT access tokens per RFC 9068: header `typ: at+jwt` and `kid`; claims
 * `iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `client_id`, `scope`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeyRing } from '../keys/types.js';
import { formatScope } from '../scopes.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenRequest {
  subject: string;
  clientId: string;
  scopes: readonly string[];
  audience: readonly string[];
  /** RFC 9068 §2.2.1: when the end user authenticated, for user tokens. */
  authTime?: number;
  /** Extra claims (e.g. `act` for token exchange); never overrides the ones above. */
  extra?: Record<string, unknown>;
  /** Lifetime in seconds; the configured TTL when absent. */
  ttl?: number;
  /** RFC 9449 §6.1: bind the token to this key (`cnf.jkt`, its RFC 7638 thumbprint). */
  jkt?: string | null;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  /** Epoch seconds. */
  expiresAt: number;
  kid: string;
  /** RFC 9449 §5.1: `DPoP` for a bound token, else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
}

export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly issuer: string,
    /** The configured lifetime of access tokens, seconds. */
    readonly ttl: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async issue(req: AccessTokenRequest): Promise<IssuedAccessToken> {
    const key = this.keys.signingKey();
    const iat = Math.floor(this.nowMs() / 1000);
    const ttl = req.ttl ?? this.ttl;
    const jti = randomUUID();
    const claims: Record<string, unknown> = { ...req.extra, client_id: req.clientId };
    // RFC 9068 §2.2.3: the granted scopes; no claim when nothing was granted.
    if (req.scopes.length) claims.scope = formatScope(req.scopes);
    if (req.authTime !== undefined) claims.auth_time = req.authTime;
    if (req.jkt) claims.cnf = { jkt: req.jkt };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.issuer)
      .setSubject(req.subject)
      // RFC 9068 §2.2: aud is a single string when there is one audience.
      .setAudience(req.audience.length === 1 ? req.audience[0]! : [...req.audience])
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, expiresIn: ttl, expiresAt: iat + ttl, kid: key.kid, tokenType: req.jkt ? 'DPoP' : 'Bearer' };
  }
}
