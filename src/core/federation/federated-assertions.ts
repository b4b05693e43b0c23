/**
 * Federated workload identity: an external token (a GitHub Actions OIDC
 * token, a Kubernetes service-account token, ...) checked against the trust
 * policies of its issuer, for the JWT bearer grant (RFC 7523 §2.1, §3).
 *
 * Only the issuers policies name are ever trusted, and their keys come only
 * from where a policy says (inline, its jwks_uri, or the issuer's OpenID
 * discovery): an unknown `iss` is refused before anything is fetched, and
 * nothing in the token (`jku`, `x5u`) chooses a URL. The token must be
 * signed by the issuer's key with an asymmetric algorithm, name one of the
 * policy's audiences, be within its time (`exp` required), live no longer
 * than the policy allows, and meet every condition on its claims. The first
 * policy (by id) that accepts it decides the client, subject and scopes.
 * Its `jti` (or, without one, its hash) is then claimed once, so the token
 * cannot be exchanged twice.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { Store, TrustPolicyRecord } from '../../store/store.js';
import { InvalidGrantError, UpstreamUnavailableError } from '../errors.js';
import { AssertionRejected, looksLikeJws, replayKeyOf, verifyAssertion, type RejectionReason } from '../assertions/jwt-assertion.js';
import { keySourceId, type KeySource, type KeySources } from '../jwks/key-source.js';
import { conditionsMatch } from './claim-conditions.js';
import { renderSubject } from './subject-template.js';

export interface FederatedIdentity {
  policy: TrustPolicyRecord;
  /** The external token's verified claims. */
  claims: JWTPayload & { exp: number; iss: string; sub: string };
  /** The `sub` of the tokens issued for it. */
  subject: string;
  /** The replay-cache key of the external token, claimed once it is exchanged. */
  replayKey: string;
}

/** Why an external token was refused: the grant's error, with the reason for the audit log. */
export class FederationRefused extends InvalidGrantError {
  constructor(readonly reason: RejectionReason | 'no_policy' | 'conditions' | 'subject', message: string) {
    super(message);
  }
}

const NO_MATCH = 'the assertion matches no trust policy';

/** What the grant answers for each way a token can fail, so a workload's operator can tell what to fix. */
const MESSAGES: Partial<Record<RejectionReason, string>> = {
  expired: 'the assertion has expired',
  not_yet_valid: 'the assertion is not valid yet',
  issued_in_future: 'the assertion\'s iat is in the future',
  too_long_lived: 'the assertion lives longer than its trust policy accepts',
  audience: 'the assertion\'s aud is not one its trust policy accepts',
  replayed: 'the assertion was used already',
  missing_claim: 'the assertion lacks a required claim (iss, sub, aud, exp)',
  algorithm: 'the assertion\'s alg is not accepted',
  unknown_key: 'the assertion is not signed with a key of its issuer',
  signature: 'the assertion\'s signature is not valid',
  malformed: 'the assertion is not a JWT',
};

function refused(reason: RejectionReason, fallback: string): FederationRefused {
  return new FederationRefused(reason, MESSAGES[reason] ?? fallback);
}

function keySourceOf(p: TrustPolicyRecord): KeySource {
  if (p.jwks) return { kind: 'inline', jwks: p.jwks };
  if (p.jwks_uri) return { kind: 'uri', jwksUri: p.jwks_uri };
  return { kind: 'discovery', issuer: p.issuer };
}

export class FederatedAssertions {
  constructor(
    private readonly store: Store,
    private readonly keys: KeySources,
    private readonly clockSkewSeconds: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The identity `assertion` proves under the first policy that accepts it; throws FederationRefused (or 503 when keys cannot be had). */
  async verify(assertion: string): Promise<FederatedIdentity> {
    if (!looksLikeJws(assertion)) throw refused('malformed', NO_MATCH);
    let iss: unknown;
    try {
      iss = decodeJwt(assertion).iss;
    } catch {
      throw refused('malformed', NO_MATCH);
    }
    const policies = typeof iss === 'string' ? await this.store.trustPolicies.listByIssuer(iss) : [];
    if (policies.length === 0) throw new FederationRefused('no_policy', NO_MATCH);

    // Policies sharing keys share one signature check.
    const bySource = new Map<string, { source: KeySource; policies: TrustPolicyRecord[] }>();
    for (const p of policies) {
      const source = keySourceOf(p);
      const id = keySourceId(source);
      const group = bySource.get(id) ?? { source, policies: [] };
      group.policies.push(p);
      bySource.set(id, group);
    }
    let firstFailure: AssertionRejected | null = null;
    let closest: FederationRefused | null = null;
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    for (const { source, policies: group } of bySource.values()) {
      let claims: JWTPayload & { exp: number };
      try {
        claims = await verifyAssertion(assertion, this.keys.resolver(source), {
          issuer: iss as string,
          audiences: [...new Set(group.flatMap((p) => p.audiences))],
          maxLifetimeSeconds: Math.max(...group.map((p) => p.max_token_lifetime)),
          clockToleranceSeconds: this.clockSkewSeconds,
          requireJti: false,
          nowSeconds,
        });
      } catch (err) {
        if (!(err instanceof AssertionRejected)) throw err;
        if (err.reason === 'keys_unavailable') throw new UpstreamUnavailableError('the issuer\'s keys could not be fetched; retry shortly');
        firstFailure ??= err;
        continue;
      }
      for (const policy of group) {
        const outcome = this.#accepts(policy, claims, nowSeconds);
        if (outcome instanceof FederationRefused) {
          closest ??= outcome;
          continue;
        }
        return {
          policy,
          claims: claims as FederatedIdentity['claims'],
          subject: outcome,
          replayKey: replayKeyOf(`federation:${policy.issuer}`, claims, assertion),
        };
      }
    }
    if (closest) throw closest;
    throw refused(firstFailure?.reason ?? 'malformed', NO_MATCH);
  }

  /** Claims the external token once (RFC 7523 §3: "MAY ... not replayed"; here always); throws when it was exchanged before. */
  async claim(identity: FederatedIdentity): Promise<void> {
    const until = (identity.claims.exp + this.clockSkewSeconds + 1) * 1000;
    if (!(await this.store.replay.claim(identity.replayKey, until))) throw refused('replayed', NO_MATCH);
  }

  /** The subject when `policy` accepts the verified claims, else why not. */
  #accepts(policy: TrustPolicyRecord, claims: JWTPayload & { exp: number }, nowSeconds: number): string | FederationRefused {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && policy.audiences.includes(a))) return refused('audience', NO_MATCH);
    const start = typeof claims.iat === 'number' ? claims.iat : nowSeconds;
    if (claims.exp - start > policy.max_token_lifetime) return refused('too_long_lived', NO_MATCH);
    if (!conditionsMatch(policy.conditions, claims)) return new FederationRefused('conditions', NO_MATCH);
    const subject = renderSubject(policy.subject, claims);
    if (subject === null) return new FederationRefused('subject', 'the assertion lacks a claim its trust policy\'s subject needs');
    return subject;
  }
}
