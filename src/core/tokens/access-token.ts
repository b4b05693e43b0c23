/**
 * JWT access tokens per RFC 9068: header `typ: at+jwt` and `kid`; claims
 * `iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `client_id`, `scope`.
 */
import { randomUUID } from 'node:crypto';
import { JwsSigner } from '../keys/jws-signer.js';
import type { KeyRing, SigningKey } from '../keys/types.js';
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
  /** Its id and issue time, fixed beforehand (reserve()) when a store step records the token before it is signed. */
  reserved?: ReservedAccessToken;
}

/** The id and times of an access token about to be issued with the configured lifetime. */
export interface ReservedAccessToken {
  jti: string;
  /** Epoch seconds. */
  iat: number;
  /** Epoch ms: `iat` plus the configured lifetime. */
  expiresAtMs: number;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** The `sub` claim. */
  subject: string;
  /** The `scope` claim; null when nothing was granted (no claim). */
  scope: string | null;
  /** Every claim of the token, as signed: what was issued can be read from here, never by decoding the token. */
  claims: Readonly<Record<string, unknown>>;
  expiresIn: number;
  /** Epoch seconds. */
  expiresAt: number;
  kid: string;
  /** RFC 9449 §5.1: `DPoP` for a bound token, else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
}

export class AccessTokenIssuer {
  /** The signer of the current signing key, made again only when the key changes (rotation, reload). */
  #signer: { key: SigningKey; signer: JwsSigner } | null = null;

  constructor(
    private readonly keys: KeyRing,
    private readonly issuer: string,
    /** The configured lifetime of access tokens, seconds. */
    readonly ttl: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The id and times of the next token with the configured lifetime, for issue({reserved}). */
  reserve(): ReservedAccessToken {
    const iat = Math.floor(this.nowMs() / 1000);
    return { jti: randomUUID(), iat, expiresAtMs: (iat + this.ttl) * 1000 };
  }

  async issue(req: AccessTokenRequest): Promise<IssuedAccessToken> {
    const key = this.keys.signingKey();
    const iat = req.reserved?.iat ?? Math.floor(this.nowMs() / 1000);
    const ttl = req.reserved ? this.ttl : req.ttl ?? this.ttl;
    const jti = req.reserved?.jti ?? randomUUID();
    const scope = req.scopes.length ? formatScope(req.scopes) : null;
    // The registered claims are set after `extra`, so that they always win (and keep jose's SignJWT order).
    const claims: Record<string, unknown> = { ...req.extra, client_id: req.clientId };
    // RFC 9068 §2.2.3: the granted scopes; no claim when nothing was granted.
    if (scope !== null) claims.scope = scope;
    if (req.authTime !== undefined) claims.auth_time = req.authTime;
    if (req.jkt) claims.cnf = { jkt: req.jkt };
    claims.iss = this.issuer;
    claims.sub = req.subject;
    // RFC 9068 §2.2: aud is a single string when there is one audience.
    claims.aud = req.audience.length === 1 ? req.audience[0]! : [...req.audience];
    claims.iat = iat;
    claims.exp = iat + ttl;
    claims.jti = jti;
    const token = await this.signerFor(key).sign(claims);
    return {
      token, jti, subject: req.subject, scope, claims,
      expiresIn: ttl, expiresAt: iat + ttl, kid: key.kid, tokenType: req.jkt ? 'DPoP' : 'Bearer',
    };
  }

  private signerFor(key: SigningKey): JwsSigner {
    if (this.#signer?.key !== key) this.#signer = { key, signer: new JwsSigner(key, { typ: ACCESS_TOKEN_TYP }) };
    return this.#signer.signer;
  }
}
