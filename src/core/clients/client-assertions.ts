/**
 * private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9): a client proves who it
 * is with a JWT signed by a key it registered (`jwks` or `jwks_uri`). The
 * assertion's `iss` and `sub` are the client id; its `aud` names this
 * server (the issuer, or the URL of the token, revocation or introspection
 * endpoint); `exp` is required and its lifetime bounded
 * (TESSERA_CLIENT_ASSERTION_MAX_LIFETIME); `jti` is required and accepted
 * once: it is kept in the store until the assertion expires, so a replay to
 * any instance is refused.
 */
import type { ClientRecord, ReplayCache } from '../../store/store.js';
import { AssertionRejected, replayKeyOf, verifyAssertion } from '../assertions/jwt-assertion.js';
import type { KeySource, KeySources } from '../jwks/key-source.js';

/** RFC 7523 §2.2 `client_assertion_type`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAssertionSettings {
  maxLifetimeSeconds: number;
  clockSkewSeconds: number;
}

export class ClientAssertions {
  readonly audiences: readonly string[];

  constructor(
    private readonly keys: KeySources,
    private readonly replay: ReplayCache,
    issuer: string,
    private readonly settings: ClientAssertionSettings,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.audiences = [issuer, `${issuer}/oauth/token`, `${issuer}/oauth/revoke`, `${issuer}/oauth/introspect`];
  }

  /** Resolves when `assertion` proves `client`; throws AssertionRejected with the reason otherwise. */
  async verify(client: ClientRecord, assertion: string): Promise<void> {
    const source = keySourceOf(client);
    if (!source) throw new AssertionRejected('unknown_key', 'the client has no registered keys');
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    const payload = await verifyAssertion(assertion, this.keys.resolver(source), {
      issuer: client.client_id,
      subject: client.client_id,
      audiences: this.audiences,
      maxLifetimeSeconds: this.settings.maxLifetimeSeconds,
      clockToleranceSeconds: this.settings.clockSkewSeconds,
      requireJti: true,
      nowSeconds,
    });
    // Kept until the assertion could no longer be accepted (exp plus the clock tolerance).
    const until = (payload.exp + this.settings.clockSkewSeconds + 1) * 1000;
    if (!(await this.replay.claim(replayKeyOf(`client_assertion:${client.client_id}`, payload, assertion), until))) {
      throw new AssertionRejected('replayed', 'the assertion\'s jti was used already');
    }
  }
}

function keySourceOf(client: ClientRecord): KeySource | null {
  if (client.jwks) return { kind: 'inline', jwks: client.jwks };
  if (client.jwks_uri) return { kind: 'uri', jwksUri: client.jwks_uri };
  return null;
}
